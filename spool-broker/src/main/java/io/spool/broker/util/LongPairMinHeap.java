package io.spool.broker.util;

import java.util.NoSuchElementException;

/**
 * A binary min-heap of (key, value) pairs of primitive longs, ordered by key: the delayed
 * messages due soonest, keyed by due time, each valued by where its record lies on disk. Two
 * parallel arrays, sixteen bytes an entry, no object per entry. Not thread-safe; the owner
 * guards it.
 */
public final class LongPairMinHeap {

    private static final int INITIAL = 16;
    /** An emptied heap larger than this gives its arrays back. */
    private static final int SHRINK_ABOVE = 4096;

    private long[] keys = new long[INITIAL];
    private long[] values = new long[INITIAL];
    private int size;

    public int size() {
        return size;
    }

    public boolean isEmpty() {
        return size == 0;
    }

    public void add(long key, long value) {
        if (size == keys.length) {
            keys = java.util.Arrays.copyOf(keys, size * 2);
            values = java.util.Arrays.copyOf(values, size * 2);
        }
        int i = size++;
        while (i > 0) {
            int parent = (i - 1) >>> 1;
            if (keys[parent] <= key) {
                break;
            }
            keys[i] = keys[parent];
            values[i] = values[parent];
            i = parent;
        }
        keys[i] = key;
        values[i] = value;
    }

    /** The smallest key. */
    public long peekKey() {
        if (size == 0) {
            throw new NoSuchElementException();
        }
        return keys[0];
    }

    /** The value paired with the smallest key. */
    public long peekValue() {
        if (size == 0) {
            throw new NoSuchElementException();
        }
        return values[0];
    }

    /** Removes the entry with the smallest key; read it first with {@link #peekKey}/{@link #peekValue}. */
    public void remove() {
        if (size == 0) {
            throw new NoSuchElementException();
        }
        size--;
        long key = keys[size];
        long value = values[size];
        int i = 0;
        while (true) {
            int left = 2 * i + 1;
            if (left >= size) {
                break;
            }
            int right = left + 1;
            int smallest = right < size && keys[right] < keys[left] ? right : left;
            if (key <= keys[smallest]) {
                break;
            }
            keys[i] = keys[smallest];
            values[i] = values[smallest];
            i = smallest;
        }
        if (size > 0) {
            keys[i] = key;
            values[i] = value;
        } else if (keys.length > SHRINK_ABOVE) {
            keys = new long[INITIAL];
            values = new long[INITIAL];
        }
    }

    public void clear() {
        size = 0;
        if (keys.length > SHRINK_ABOVE) {
            keys = new long[INITIAL];
            values = new long[INITIAL];
        }
    }
}
