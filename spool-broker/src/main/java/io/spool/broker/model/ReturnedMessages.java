package io.spool.broker.model;

import io.netty.util.collection.LongObjectHashMap;
import io.spool.broker.util.LongMinHeap;

/**
 * The messages that came back to a queue (nack, reject, a closed channel), by priority level and
 * by original position within a level: a requeued message goes back to its own level, as in
 * RabbitMQ's priority queues, and within a level ahead of the messages still waiting. Per
 * message it keeps its position and what the queue needs to hand it out again.
 *
 * <p>Guarded by the owning queue's lock.
 */
final class ReturnedMessages {

    /** What a queue knows of a message that came back. */
    record Returned(long expiresAt, int level, int deliveries, int bodySize) {}

    /** One heap of positions per level, created when first needed (up to 256 levels). */
    private final LongMinHeap[] levels;
    private final LongObjectHashMap<Returned> meta = new LongObjectHashMap<>();
    private long bodyBytes;

    /** The message taken last by {@link #poll} or {@link #pollExpired}. */
    long headPosition;
    Returned head;

    ReturnedMessages(int maxPriority) {
        levels = new LongMinHeap[maxPriority + 1];
    }

    void add(long position, Returned r) {
        LongMinHeap h = levels[r.level()];
        if (h == null) {
            h = levels[r.level()] = new LongMinHeap();
        }
        h.add(position);
        meta.put(position, r);
        bodyBytes += r.bodySize();
    }

    int size() {
        return meta.size();
    }

    boolean isEmpty() {
        return meta.isEmpty();
    }

    long bodyBytes() {
        return bodyBytes;
    }

    /** The highest level holding a returned message, or -1. */
    int headLevel() {
        for (int i = levels.length - 1; i >= 0; i--) {
            if (levels[i] != null && !levels[i].isEmpty()) {
                return i;
            }
        }
        return -1;
    }

    /** Takes the next returned message (highest level, oldest position) into the head fields; false if none. */
    boolean poll() {
        int level = headLevel();
        return level >= 0 && pollLevel(level);
    }

    private boolean pollLevel(int level) {
        headPosition = levels[level].poll();
        head = meta.remove(headPosition);
        bodyBytes -= head.bodySize();
        return true;
    }

    /** Takes the first expired head of any level into the head fields; false if none has expired. */
    boolean pollExpired(long now) {
        for (int i = levels.length - 1; i >= 0; i--) {
            LongMinHeap h = levels[i];
            if (h != null && !h.isEmpty() && meta.get(h.peek()).expiresAt() <= now) {
                return pollLevel(i);
            }
        }
        return false;
    }

    /** The earliest expiry among the heads, or Long.MAX_VALUE. */
    long nextExpiry() {
        long next = Long.MAX_VALUE;
        for (LongMinHeap h : levels) {
            if (h != null && !h.isEmpty()) {
                next = Math.min(next, meta.get(h.peek()).expiresAt());
            }
        }
        return next;
    }

    /** Takes every returned message, for a purge or a deletion; returns their positions. */
    long[] drainPositions() {
        long[] all = new long[meta.size()];
        int n = 0;
        for (LongMinHeap h : levels) {
            while (h != null && !h.isEmpty()) {
                all[n++] = h.poll();
            }
        }
        meta.clear();
        bodyBytes = 0;
        return all;
    }
}
