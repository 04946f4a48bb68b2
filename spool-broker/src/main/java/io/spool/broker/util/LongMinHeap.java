package io.spool.broker.util;

import java.util.NoSuchElementException;

/**
 * A binary min-heap of primitive longs: requeued message positions, served lowest (oldest)
 * first. Not thread-safe; the owner guards it.
 */
public final class LongMinHeap {

    private long[] heap = new long[16];
    private int size;

    public int size() {
        return size;
    }

    public boolean isEmpty() {
        return size == 0;
    }

    public void add(long v) {
        if (size == heap.length) {
            long[] bigger = new long[heap.length * 2];
            System.arraycopy(heap, 0, bigger, 0, size);
            heap = bigger;
        }
        int i = size++;
        heap[i] = v;
        while (i > 0) {
            int parent = (i - 1) >>> 1;
            if (heap[parent] <= heap[i]) {
                break;
            }
            swap(i, parent);
            i = parent;
        }
    }

    public long peek() {
        if (size == 0) {
            throw new NoSuchElementException();
        }
        return heap[0];
    }

    public long poll() {
        long min = peek();
        heap[0] = heap[--size];
        int i = 0;
        while (true) {
            int left = 2 * i + 1;
            if (left >= size) {
                break;
            }
            int right = left + 1;
            int smallest = right < size && heap[right] < heap[left] ? right : left;
            if (heap[i] <= heap[smallest]) {
                break;
            }
            swap(i, smallest);
            i = smallest;
        }
        if (size == 0 && heap.length > 1024) {
            heap = new long[16];
        }
        return min;
    }

    /** The values in no particular order. */
    public long get(int i) {
        if (i < 0 || i >= size) {
            throw new IndexOutOfBoundsException(i);
        }
        return heap[i];
    }

    public void clear() {
        size = 0;
        if (heap.length > 1024) {
            heap = new long[16];
        }
    }

    private void swap(int a, int b) {
        long t = heap[a];
        heap[a] = heap[b];
        heap[b] = t;
    }
}
