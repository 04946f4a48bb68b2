package io.spool.bench.jmh;

import io.spool.broker.model.Message;
import io.spool.broker.model.MessageProperties;
import io.spool.broker.store.GroupCommit;
import io.spool.broker.store.QueueStore;
import io.spool.broker.util.LongDeque;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.Stream;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Appending persistent messages to a durable queue's store, without the network: what a
 * segment append costs, and what waiting for the group commit's fsync adds. Run with more
 * threads ({@code -t 4}) to see one commit shared by several waiters.
 *
 * <pre>
 *   spool-bench/jmh QueueStoreAppend
 *   spool-bench/jmh QueueStoreAppendBenchmark.appendAndAwaitFsync -t 4
 * </pre>
 *
 * <p>Threads: the store's lock is held around every store call, as the queue holds its own.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 3, time = 3)
@Fork(value = 1, jvmArgsAppend = "-Xmx256m")
public class QueueStoreAppendBenchmark {

    /**
     * Records stay live this many appends before they are settled, like a queue whose consumer
     * keeps up a little behind: segments fill, roll, and are deleted once settled, so the
     * benchmark neither grows the disk without bound nor creates a segment per message.
     */
    private static final int SETTLE_LAG = 10_000;
    private static final long SEGMENT_SIZE = 8L * 1024 * 1024;

    @Param("1024")
    public int bodySize;

    private final Object lock = new Object();
    private final LongDeque live = new LongDeque(SETTLE_LAG * 2);
    private Path dir;
    private GroupCommit commit;
    private QueueStore store;
    private Message message;

    @Setup(Level.Trial)
    public void open() throws IOException {
        dir = Files.createTempDirectory("spool-jmh-store-");
        commit = new GroupCommit();
        store = QueueStore.create(dir.resolve("queue"), true, commit, lock, SEGMENT_SIZE);
        MessageProperties persistent = new MessageProperties.Builder().deliveryMode(2).build();
        message = new Message("", "bench", persistent, new byte[bodySize]);
    }

    /** An append alone; the group commit writes and fsyncs in the background. */
    @Benchmark
    public long append() {
        synchronized (lock) {
            long position = store.append(message, true, 0, Long.MAX_VALUE);
            settleLagging(position);
            return position;
        }
    }

    /** An append, then a wait until it is fsynced: what a publisher confirm waits for. */
    @Benchmark
    public long appendAndAwaitFsync() {
        long generation;
        synchronized (lock) {
            settleLagging(store.append(message, true, 0, Long.MAX_VALUE));
            generation = store.syncGeneration();
        }
        awaitDurable(generation);
        return generation;
    }

    private void settleLagging(long position) {
        live.addLast(position);
        if (live.size() > SETTLE_LAG) {
            store.settle(live.pollFirst(), true);
        }
    }

    private void awaitDurable(long generation) {
        Thread waiter = Thread.currentThread();
        while (commit.durableGeneration() < generation) {
            commit.afterNextCommit(() -> LockSupport.unpark(waiter));
            // Re-check after registering: a commit that ended in between would never call back.
            if (commit.durableGeneration() < generation) {
                LockSupport.parkNanos(this, TimeUnit.MILLISECONDS.toNanos(100));
            }
        }
    }

    @TearDown(Level.Trial)
    public void close() throws IOException {
        synchronized (lock) {
            store.delete();
        }
        commit.close();
        try (Stream<Path> walk = Files.walk(dir)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
