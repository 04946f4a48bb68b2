package io.spool.bench.compare;

import java.util.Arrays;

/** Medians and percentiles of plain arrays. */
final class Stats {

    private Stats() {}

    /** The median of the values that are not NaN; NaN if there are none. */
    static double median(double[] values) {
        double[] v = Arrays.stream(values).filter(x -> !Double.isNaN(x)).sorted().toArray();
        if (v.length == 0) {
            return Double.NaN;
        }
        int mid = v.length / 2;
        return v.length % 2 == 1 ? v[mid] : (v[mid - 1] + v[mid]) / 2;
    }

    /** Nearest-rank percentile ({@code p} in 0..1) of sorted values; NaN if empty. */
    static double percentileOfSorted(long[] sorted, int n, double p) {
        if (n == 0) {
            return Double.NaN;
        }
        int rank = (int) Math.ceil(p * n);
        return sorted[Math.min(n, Math.max(1, rank)) - 1];
    }
}
