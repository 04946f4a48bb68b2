package io.spool.broker.store;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The group-commit flusher: one thread that writes out every store with pending data and
 * fsyncs those holding persistent messages, so that one fsync covers every record written
 * since the last. Publishers learn when their messages are on disk through generations: each
 * persistent append takes the next generation number; after a commit every generation up to
 * the one read when the commit began is durable.
 *
 * <p>Why that is sound: an append takes its generation inside the queue lock after writing its
 * record to the store's buffer, and the commit reads the generation counter before it takes
 * each queue lock to flush. Any append numbered at or below the counter the commit read has
 * therefore finished, and the commit writes and fsyncs it.
 *
 * <p>Thread-safe.
 */
public final class GroupCommit implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(GroupCommit.class);
    static final long LAZY_FLUSH_MILLIS = 20;
    private static final long RETRY_MILLIS = 100;

    private final AtomicLong generation = new AtomicLong();
    private volatile long durable;
    private final ConcurrentLinkedQueue<CommitParticipant> dirty = new ConcurrentLinkedQueue<>();
    /** Stores with acks to write soon; no one waits for them, so they go out in periodic batches. */
    private final ConcurrentLinkedQueue<QueueStore> lazy = new ConcurrentLinkedQueue<>();
    private long lastLazyFlush = System.nanoTime();
    /** Every open store, swept for idleness about once a second. */
    private final java.util.Set<QueueStore> stores = java.util.concurrent.ConcurrentHashMap.newKeySet();
    private long lastIdleSweep = System.nanoTime();
    private final ConcurrentLinkedQueue<Runnable> waiters = new ConcurrentLinkedQueue<>();
    private final AtomicLong commits = new AtomicLong();
    private final AtomicLong fsyncs = new AtomicLong();
    private final Thread thread;
    private volatile boolean running = true;
    /** The last commit failed; only the commit thread reads and writes it. */
    private boolean failing;

    public GroupCommit() {
        thread = new Thread(this::run, "spool-group-commit");
        thread.setDaemon(true);
        thread.start();
    }

    long nextGeneration() {
        return generation.incrementAndGet();
    }

    /** The highest generation known to be on disk. */
    public long durableGeneration() {
        return durable;
    }

    /** Asks for a store to be flushed (and fsynced if it needs it) soon. */
    void enlist(CommitParticipant store) {
        if (store.enlisted.compareAndSet(false, true)) {
            dirty.add(store);
            LockSupport.unpark(thread);
        }
    }

    /**
     * Asks for a store's recorded acks to reach the file within {@link #LAZY_FLUSH_MILLIS}.
     * Acks are not fsynced and nobody waits for them; batching them keeps the commit thread
     * from waking once per ack.
     */
    void enlistLazily(QueueStore store) {
        if (store.lazilyEnlisted.compareAndSet(false, true)) {
            lazy.add(store);
        }
    }

    /**
     * Runs {@code callback} once after the next commit completes (on the commit thread; it
     * must be quick). Register, then re-check {@link #durableGeneration()}: a commit that
     * finished in between may have missed the registration.
     */
    public void afterNextCommit(Runnable callback) {
        waiters.add(callback);
        LockSupport.unpark(thread);
    }

    /**
     * Runs {@code callback} once {@code generation} is durable: at once on this thread if it
     * is, else on the commit thread after the commit that makes it so (it must be quick).
     */
    public void whenDurable(long generation, Runnable callback) {
        if (generation <= durable) {
            callback.run();
            return;
        }
        afterNextCommit(() -> whenDurable(generation, callback));
    }

    /** Commits done and fsyncs issued so far, for benchmarks. */
    public long commits() {
        return commits.get();
    }

    public long fsyncs() {
        return fsyncs.get();
    }

    private void run() {
        // Segments written but not yet fsynced; kept across a failed commit so they are retried.
        List<Segment> toSync = new ArrayList<>();
        List<Segment> synced = new ArrayList<>();
        while (running) {
            try {
                if (!dirty.isEmpty() || !waiters.isEmpty()) {
                    commitOnce(toSync, synced);
                } else {
                    LockSupport.parkNanos(this, TimeUnit.MILLISECONDS.toNanos(LAZY_FLUSH_MILLIS));
                }
                flushLazyIfDue();
                sweepIdleIfDue();
            } catch (RuntimeException e) {
                log.error("group commit failed", e);
            }
        }
        flushLazyIfDue();
    }

    void register(QueueStore store) {
        stores.add(store);
    }

    void unregister(QueueStore store) {
        stores.remove(store);
    }

    private void sweepIdleIfDue() {
        long now = System.nanoTime();
        if (now - lastIdleSweep < TimeUnit.SECONDS.toNanos(1)) {
            return;
        }
        lastIdleSweep = now;
        for (QueueStore s : stores) {
            s.releaseIfIdle();
        }
    }

    private void flushLazyIfDue() {
        long now = System.nanoTime();
        if (lazy.isEmpty() || running && now - lastLazyFlush < TimeUnit.MILLISECONDS.toNanos(LAZY_FLUSH_MILLIS)) {
            return;
        }
        lastLazyFlush = now;
        QueueStore s;
        int n = lazy.size();
        for (int i = 0; i < n && (s = lazy.poll()) != null; i++) {
            s.flushAcksLazily();
        }
    }

    private void commitOnce(List<Segment> toSync, List<Segment> synced) {
        synced.clear();
        long upTo = generation.get();
        CommitParticipant s;
        int stores = dirty.size();
        for (int i = 0; i < stores && (s = dirty.poll()) != null; i++) {
            try {
                toSync.addAll(s.flushForCommit());
            } catch (RuntimeException e) {
                // The store keeps its unwritten records and asks again; nothing past this
                // point may be called durable until it has written them.
                enlist(s);
                failed("cannot write " + s, e);
                return;
            }
        }
        while (!toSync.isEmpty()) {
            Segment segment = toSync.get(toSync.size() - 1);
            try {
                segment.force();
                fsyncs.incrementAndGet();
            } catch (IOException e) {
                // The segment stays in the list and is forced again first thing next time.
                failed("fsync of " + segment.dataPath + " failed", e);
                return;
            }
            synced.add(toSync.remove(toSync.size() - 1));
        }
        commits.incrementAndGet();
        if (failing) {
            failing = false;
            log.info("group commit recovered: writes and fsyncs succeed again");
        }
        durable = upTo;
        Runnable w;
        int n = waiters.size();
        for (int i = 0; i < n && (w = waiters.poll()) != null; i++) {
            try {
                w.run();
            } catch (RuntimeException e) {
                log.error("a commit callback failed", e);
            }
        }
        // After the callbacks, so that confirms do not wait for it.
        for (Segment segment : synced) {
            try {
                segment.zeroAhead();
            } catch (IOException e) {
                // Appends grow the file instead and only their fsyncs get slower; a full disk
                // is reported by the disk alarm and by the appends themselves.
                log.debug("cannot write zeros ahead in {}", segment.dataPath, e);
            }
        }
    }

    /**
     * A write or fsync failed: nothing is confirmed until a later commit gets everything to
     * disk, which is retried after a pause rather than in a tight loop.
     */
    private void failed(String what, Exception e) {
        if (!failing) {
            log.error("{}; confirms are held back until it succeeds", what, e);
            failing = true;
        }
        LockSupport.parkNanos(this, TimeUnit.MILLISECONDS.toNanos(RETRY_MILLIS));
    }

    /** Makes everything appended so far durable, then returns. Any thread. */
    public void flushNow() {
        long target = generation.get();
        Thread caller = Thread.currentThread();
        while (durable < target && running) {
            afterNextCommit(() -> LockSupport.unpark(caller));
            if (durable < target) {
                LockSupport.parkNanos(this, TimeUnit.MILLISECONDS.toNanos(10));
            }
        }
    }

    @Override
    public void close() {
        running = false;
        LockSupport.unpark(thread);
        try {
            thread.join(5_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
