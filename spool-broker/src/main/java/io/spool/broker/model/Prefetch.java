package io.spool.broker.model;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * A prefetch window: how many unacknowledged deliveries may be outstanding (0 = no limit), and
 * how many are. Shared between the queues that deliver (any thread) and the channel that acks,
 * so the count is atomic and never passes the limit.
 */
public final class Prefetch {

    /** A window that never closes, for consumers without a per-consumer limit. */
    public static final Prefetch UNLIMITED = new Prefetch(0, true);

    private volatile int limit;
    private final AtomicInteger outstanding = new AtomicInteger();
    /** The shared unlimited window counts nothing, so it costs no contended atomic. */
    private final boolean frozen;

    public Prefetch(int limit) {
        this(limit, false);
    }

    private Prefetch(int limit, boolean frozen) {
        this.limit = limit;
        this.frozen = frozen;
    }

    public int limit() {
        return limit;
    }

    /** Changes the limit; returns true if the window grew, so deliveries may resume. */
    public boolean setLimit(int newLimit) {
        if (frozen) {
            throw new IllegalStateException("the unlimited window cannot change");
        }
        int old = limit;
        limit = newLimit;
        return newLimit == 0 ? old != 0 : old != 0 && newLimit > old;
    }

    public int outstanding() {
        return outstanding.get();
    }

    /** Takes one slot if the window has room. */
    public boolean tryAcquire() {
        if (frozen) {
            return true;
        }
        while (true) {
            int n = outstanding.get();
            int max = limit;
            if (max != 0 && n >= max) {
                return false;
            }
            if (outstanding.compareAndSet(n, n + 1)) {
                return true;
            }
        }
    }

    /** Gives a slot back; returns true if the window was full, so deliveries may resume. */
    public boolean release() {
        if (frozen) {
            return false;
        }
        int max = limit;
        int before = outstanding.getAndDecrement();
        return max != 0 && before >= max;
    }
}
