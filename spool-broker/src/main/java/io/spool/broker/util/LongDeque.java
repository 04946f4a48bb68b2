package io.spool.broker.util;

import java.util.NoSuchElementException;

/**
 * A growable ring of primitive longs: the positions of a queue's waiting messages, eight bytes
 * each, with no object per message. Not thread-safe; the owner guards it.
 */
public final class LongDeque {

    private long[] ring;
    private int head;
    private int size;

    public LongDeque() {
        this(16);
    }

    public LongDeque(int initialCapacity) {
        int cap = 16;
        while (cap < initialCapacity) {
            cap <<= 1;
        }
        ring = new long[cap];
    }

    public int size() {
        return size;
    }

    public boolean isEmpty() {
        return size == 0;
    }

    public void addLast(long v) {
        if (size == ring.length) {
            grow();
        }
        ring[(head + size) & (ring.length - 1)] = v;
        size++;
    }

    public void addFirst(long v) {
        if (size == ring.length) {
            grow();
        }
        head = (head - 1) & (ring.length - 1);
        ring[head] = v;
        size++;
    }

    public long peekFirst() {
        if (size == 0) {
            throw new NoSuchElementException();
        }
        return ring[head];
    }

    public long pollFirst() {
        if (size == 0) {
            throw new NoSuchElementException();
        }
        long v = ring[head];
        head = (head + 1) & (ring.length - 1);
        size--;
        maybeShrink();
        return v;
    }

    public long peekLast() {
        if (size == 0) {
            throw new NoSuchElementException();
        }
        return ring[(head + size - 1) & (ring.length - 1)];
    }

    public long pollLast() {
        long v = peekLast();
        size--;
        maybeShrink();
        return v;
    }

    /** The i-th value from the head. */
    public long get(int i) {
        if (i < 0 || i >= size) {
            throw new IndexOutOfBoundsException(i);
        }
        return ring[(head + i) & (ring.length - 1)];
    }

    public void clear() {
        head = 0;
        size = 0;
        if (ring.length > 1024) {
            ring = new long[16];
        }
    }

    private void grow() {
        long[] bigger = new long[ring.length * 2];
        for (int i = 0; i < size; i++) {
            bigger[i] = ring[(head + i) & (ring.length - 1)];
        }
        ring = bigger;
        head = 0;
    }

    /** Gives memory back once a deep queue has drained. */
    private void maybeShrink() {
        if (ring.length > 4096 && size < ring.length / 8) {
            long[] smaller = new long[ring.length / 4];
            for (int i = 0; i < size; i++) {
                smaller[i] = ring[(head + i) & (ring.length - 1)];
            }
            ring = smaller;
            head = 0;
        }
    }
}
