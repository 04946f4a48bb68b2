package io.spool.bench.store;

import java.util.ArrayList;
import java.util.List;
import java.util.function.LongSupplier;

/**
 * When each slice of a run was finished, and how much broker CPU time it took: with
 * 100,000-message slices of a one-million fill, slice 1 is publishing at 100k-200k depth and
 * slice 9 at 900k-1M, so the two say whether the store slows down as the queue grows. The CPU
 * time says it more steadily than the rate on a machine shared with others. Thread-safe.
 */
final class SliceClock {

    /** One slice: messages {@code from} (inclusive) to {@code to}, its time and broker CPU time. */
    record Slice(long from, long to, long nanos, long cpuNanos) {
        double perSecond() {
            return (to - from) * 1e9 / nanos;
        }

        double cpuMicrosPerMessage() {
            return cpuNanos / 1e3 / (to - from);
        }
    }

    private final long sliceSize;
    private final long total;
    private final LongSupplier cpuNanos;
    private final long[] ends;
    private final long[] cpuAtEnds;
    private long startNanos;
    private long cpuAtStart;
    private long count;
    private int finished;

    /** {@code cpuNanos} reads the broker's CPU time used so far. */
    SliceClock(long total, long sliceSize, LongSupplier cpuNanos) {
        this.total = total;
        this.sliceSize = sliceSize;
        this.cpuNanos = cpuNanos;
        int slices = (int) ((total + sliceSize - 1) / sliceSize);
        this.ends = new long[slices];
        this.cpuAtEnds = new long[slices];
    }

    synchronized void start() {
        startNanos = System.nanoTime();
        cpuAtStart = cpuNanos.getAsLong();
    }

    /** Counts {@code n} more messages done, closing every slice they complete. */
    synchronized void add(long n) {
        count += n;
        long now = System.nanoTime();
        while (finished < ends.length && count >= Math.min(total, (finished + 1) * sliceSize)) {
            cpuAtEnds[finished] = cpuNanos.getAsLong();
            ends[finished++] = now;
        }
    }

    synchronized long count() {
        return count;
    }

    /** Nanoseconds from start to the last slice closed, or -1 if none is. */
    synchronized long elapsedNanos() {
        return finished == 0 ? -1 : ends[finished - 1] - startNanos;
    }

    /** Broker CPU nanoseconds from start to the last slice closed, or -1 if none is. */
    synchronized long elapsedCpuNanos() {
        return finished == 0 ? -1 : cpuAtEnds[finished - 1] - cpuAtStart;
    }

    synchronized List<Slice> slices() {
        List<Slice> out = new ArrayList<>();
        long previous = startNanos;
        long previousCpu = cpuAtStart;
        for (int i = 0; i < finished; i++) {
            out.add(new Slice(i * sliceSize, Math.min(total, (i + 1) * sliceSize), ends[i] - previous,
                    cpuAtEnds[i] - previousCpu));
            previous = ends[i];
            previousCpu = cpuAtEnds[i];
        }
        return out;
    }
}
