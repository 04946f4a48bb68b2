package io.spool.bench.store;

import com.rabbitmq.client.ConfirmListener;
import java.time.Duration;
import java.util.SortedSet;
import java.util.TreeSet;
import java.util.function.LongConsumer;

/**
 * The unconfirmed publishes of one channel in confirm mode, at most {@code size} at once: the
 * publisher waits for room before each publish, confirms (single or multiple) make room. A
 * window of 1 is a publisher that waits for each confirm; a large one keeps the pipe full.
 *
 * <p>Threads: the publishing thread calls {@link #awaitRoom} and {@link #sent}; the client's
 * connection thread delivers confirms. Guarded by this object's monitor.
 */
final class ConfirmWindow implements ConfirmListener {

    private final int size;
    private final LongConsumer onConfirmed;
    private final TreeSet<Long> outstanding = new TreeSet<>();
    private long nacked;

    /** {@code onConfirmed} hears how many publishes each ack settled (on the connection thread). */
    ConfirmWindow(int size, LongConsumer onConfirmed) {
        this.size = size;
        this.onConfirmed = onConfirmed;
    }

    synchronized void awaitRoom() throws InterruptedException {
        while (outstanding.size() >= size) {
            wait();
        }
    }

    /** Notes a publish sequence number before the publish, so its confirm cannot come first. */
    synchronized void sent(long seq) {
        outstanding.add(seq);
    }

    /** Waits until every publish is confirmed; false on timeout. */
    synchronized boolean awaitAllConfirmed(Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!outstanding.isEmpty()) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                return false;
            }
            wait(Math.max(1, left / 1_000_000));
        }
        return true;
    }

    synchronized long nacked() {
        return nacked;
    }

    @Override
    public void handleAck(long tag, boolean multiple) {
        settle(tag, multiple, true);
    }

    @Override
    public void handleNack(long tag, boolean multiple) {
        settle(tag, multiple, false);
    }

    private void settle(long tag, boolean multiple, boolean ack) {
        int n;
        synchronized (this) {
            if (multiple) {
                SortedSet<Long> upTo = outstanding.headSet(tag, true);
                n = upTo.size();
                upTo.clear();
            } else {
                n = outstanding.remove(tag) ? 1 : 0;
            }
            if (!ack) {
                nacked += n;
            }
            notifyAll();
        }
        if (ack && n > 0) {
            onConfirmed.accept(n);
        }
    }
}
