package io.spool.bench.jmh;

import io.spool.bench.store.PageCache;
import io.spool.broker.model.Message;
import io.spool.broker.model.MessageProperties;
import io.spool.broker.store.GroupCommit;
import io.spool.broker.store.QueueStore;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.concurrent.TimeUnit;
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
 * Recovery of a durable queue's store at start-up: {@link QueueStore#recover} over one GiB of
 * segments (persistent 1 KiB messages, none acknowledged), which checks every record's CRC and
 * collects every position. The store is written once per trial, just over 1 GiB, so the score
 * (seconds per operation) is seconds per GiB. {@code cache=warm} reads from the page cache;
 * {@code cache=cold} drops the store's files from it before each recovery (only those files:
 * posix_fadvise through {@code dd iflag=nocache}), as after a reboot.
 *
 * <pre>
 *   spool-bench/jmh RecoveryScan
 * </pre>
 *
 * <p>Needs about 1.1 GB free under the temp directory; deleted afterwards.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 1)
@Measurement(iterations = 5)
@Fork(value = 1, jvmArgsAppend = "-Xmx1g")
public class RecoveryScanBenchmark {

    private static final long GIB = 1L << 30;
    private static final long SEGMENT_SIZE = 8L * 1024 * 1024;

    @Param({"warm", "cold"})
    public String cache;

    private final Object lock = new Object();
    private Path dir;
    private Path queueDir;
    private GroupCommit commit;
    private QueueStore.Recovery recovered;

    @Setup(Level.Trial)
    public void writeOneGib() throws IOException {
        dir = Files.createTempDirectory("spool-jmh-recovery-");
        queueDir = dir.resolve("queue");
        commit = new GroupCommit();
        MessageProperties persistent = new MessageProperties.Builder().deliveryMode(2).build();
        Message message = new Message("", "bench", persistent, new byte[1024]);
        QueueStore store = QueueStore.create(queueDir, true, commit, lock, SEGMENT_SIZE);
        long count = 0;
        while (true) {
            synchronized (lock) {
                if (store.diskBytes() >= GIB) {
                    break;
                }
                for (int i = 0; i < 10_000; i++) {
                    store.append(message, true, 0, Long.MAX_VALUE);
                }
            }
            count += 10_000;
        }
        commit.flushNow();
        synchronized (lock) {
            System.err.printf("%nstore of %,d messages, %,d bytes%n", count, store.diskBytes());
            store.close(0);
        }
    }

    @Setup(Level.Iteration)
    public void prepareCache() throws IOException, InterruptedException {
        if (cache.equals("cold")) {
            long left = PageCache.evict(queueDir);
            System.err.printf("%npage cache: %,d bytes of the store left cached%n", left);
        }
    }

    @Benchmark
    public int recover() throws IOException {
        recovered = QueueStore.recover(queueDir, commit, lock, SEGMENT_SIZE);
        return recovered.recovered();
    }

    @TearDown(Level.Iteration)
    public void closeRecovered() {
        if (recovered != null) {
            synchronized (lock) {
                recovered.store().close(0);
            }
            recovered = null;
        }
    }

    @TearDown(Level.Trial)
    public void delete() throws IOException {
        commit.close();
        try (Stream<Path> walk = Files.walk(dir)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
