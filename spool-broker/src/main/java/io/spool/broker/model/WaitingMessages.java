package io.spool.broker.model;

import io.spool.broker.util.LongDeque;

/**
 * The messages waiting in a queue, by priority level (highest served first) and in order within
 * a level. Per message it keeps three longs and no object: its store position, when it expires
 * (epoch ms, {@link Long#MAX_VALUE} for never) and its body size. The running count and body
 * bytes are what {@code x-max-length} and {@code x-max-length-bytes} compare against.
 *
 * <p>Guarded by the owning queue's lock.
 */
final class WaitingMessages {

    private final Level[] levels;
    private int count;
    private long bodyBytes;

    /** The head taken or looked at last: filled by {@link #peek} and {@link #poll}. */
    long headPosition;
    long headExpiresAt;
    int headBodySize;
    int headPriority;

    private static final class Level {
        final LongDeque positions = new LongDeque();
        final LongDeque expiries = new LongDeque();
        final LongDeque sizes = new LongDeque();
    }

    /** Levels 0 to {@code maxPriority}; one level when the queue has no priorities. */
    WaitingMessages(int maxPriority) {
        levels = new Level[maxPriority + 1];
        for (int i = 0; i < levels.length; i++) {
            levels[i] = new Level();
        }
    }

    int maxPriority() {
        return levels.length - 1;
    }

    /** The level a message priority maps to: above the maximum counts as the maximum. */
    int levelOf(Integer priority) {
        if (priority == null || priority <= 0) {
            return 0;
        }
        return Math.min(priority, levels.length - 1);
    }

    void add(long position, int level, long expiresAt, int bodySize) {
        Level l = levels[level];
        l.positions.addLast(position);
        l.expiries.addLast(expiresAt);
        l.sizes.addLast(bodySize);
        count++;
        bodyBytes += bodySize;
    }

    int count() {
        return count;
    }

    long bodyBytes() {
        return bodyBytes;
    }

    boolean isEmpty() {
        return count == 0;
    }

    /** Looks at the next message to deliver (highest level first); false if none. */
    boolean peek() {
        for (int i = levels.length - 1; i >= 0; i--) {
            Level l = levels[i];
            if (!l.positions.isEmpty()) {
                headPosition = l.positions.peekFirst();
                headExpiresAt = l.expiries.peekFirst();
                headBodySize = (int) l.sizes.peekFirst();
                headPriority = i;
                return true;
            }
        }
        return false;
    }

    /** Takes the next message to deliver into the head fields; false if none. */
    boolean poll() {
        for (int i = levels.length - 1; i >= 0; i--) {
            if (pollLevel(i)) {
                return true;
            }
        }
        return false;
    }

    private boolean pollLevel(int i) {
        Level l = levels[i];
        if (l.positions.isEmpty()) {
            return false;
        }
        headPosition = l.positions.pollFirst();
        headExpiresAt = l.expiries.pollFirst();
        headBodySize = (int) l.sizes.pollFirst();
        headPriority = i;
        count--;
        bodyBytes -= headBodySize;
        return true;
    }

    /**
     * Takes the first expired head of any level (expiry happens at the heads only, as in
     * RabbitMQ); false if no head has expired.
     */
    boolean pollExpired(long now) {
        for (int i = levels.length - 1; i >= 0; i--) {
            Level l = levels[i];
            if (!l.positions.isEmpty() && l.expiries.peekFirst() <= now) {
                return pollLevel(i);
            }
        }
        return false;
    }

    /** The earliest expiry among the heads, or Long.MAX_VALUE. */
    long nextExpiry() {
        long next = Long.MAX_VALUE;
        for (Level l : levels) {
            if (!l.positions.isEmpty()) {
                next = Math.min(next, l.expiries.peekFirst());
            }
        }
        return next;
    }

    /** Takes every message, for a purge; the caller settles the positions. */
    LongDeque drainPositions() {
        LongDeque all = new LongDeque(Math.max(16, count));
        for (Level l : levels) {
            while (!l.positions.isEmpty()) {
                all.addLast(l.positions.pollFirst());
            }
            l.expiries.clear();
            l.sizes.clear();
        }
        count = 0;
        bodyBytes = 0;
        return all;
    }
}
