package io.spool.bench.store;

import java.util.Arrays;

/**
 * How late delayed messages arrived: arrival at the consumer minus the due time the publisher
 * asked for, in milliseconds, as percentiles of every message received. Negative would mean
 * early (the broker never delivers before the due time, so only clock granularity shows).
 */
record Lateness(int count, long min, long p50, long p90, long p99, long p999, long max) {

    static Lateness of(long[] millis, int count) {
        if (count == 0) {
            return new Lateness(0, 0, 0, 0, 0, 0, 0);
        }
        long[] sorted = Arrays.copyOf(millis, count);
        Arrays.sort(sorted);
        return new Lateness(count, sorted[0], at(sorted, 0.50), at(sorted, 0.90), at(sorted, 0.99), at(sorted, 0.999),
                sorted[count - 1]);
    }

    /** The nearest-rank percentile. */
    private static long at(long[] sorted, double q) {
        int rank = (int) Math.ceil(q * sorted.length);
        return sorted[Math.max(0, Math.min(sorted.length - 1, rank - 1))];
    }
}
