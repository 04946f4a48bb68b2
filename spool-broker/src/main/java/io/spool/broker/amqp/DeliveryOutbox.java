package io.spool.broker.amqp;

import io.netty.channel.EventLoop;
import io.spool.broker.model.Consumer;
import io.spool.broker.model.QueueEntry;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Deliveries handed over by queues (on any thread) and waiting for the connection's event loop
 * to write them. One drain task at a time is scheduled; it writes everything waiting and
 * flushes once, so a burst of deliveries costs one wake-up and one syscall.
 *
 * <p>The outbox is bounded: past {@link #LIMIT} waiting deliveries the connection reports
 * itself not ready, queues stop handing over, and the drain resumes them.
 */
final class DeliveryOutbox {

    /** Waiting deliveries beyond which queues hold back. */
    static final int LIMIT = 2048;

    record Pending(AmqpChannel channel, Consumer consumer, QueueEntry entry) {}

    private final ConcurrentLinkedQueue<Pending> waiting = new ConcurrentLinkedQueue<>();
    private final AtomicInteger size = new AtomicInteger();
    private final AtomicBoolean scheduled = new AtomicBoolean();
    private final EventLoop loop;
    private final Runnable drain;

    DeliveryOutbox(EventLoop loop, Runnable drain) {
        this.loop = loop;
        this.drain = drain;
    }

    /** Any thread. */
    void offer(AmqpChannel channel, Consumer consumer, QueueEntry entry) {
        waiting.offer(new Pending(channel, consumer, entry));
        size.incrementAndGet();
        if (scheduled.compareAndSet(false, true) && (loop.inEventLoop() || !DeferredWakeups.defer(this))) {
            loop.execute(drain);
        }
    }

    /** Schedules the drain whose wake-up was deferred; see {@link DeferredWakeups}. */
    void wake() {
        loop.execute(drain);
    }

    boolean hasRoom() {
        return size.get() < LIMIT;
    }

    /** Event loop only. */
    Pending poll() {
        Pending p = waiting.poll();
        if (p != null) {
            size.decrementAndGet();
        }
        return p;
    }

    /**
     * Event loop only: ends a drain. Returns true if more arrived meanwhile and the caller
     * should keep draining (the task stays scheduled).
     */
    boolean finishDrain() {
        scheduled.set(false);
        return !waiting.isEmpty() && scheduled.compareAndSet(false, true);
    }
}
