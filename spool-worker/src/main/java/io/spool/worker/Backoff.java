package io.spool.worker;

import java.time.Duration;

/**
 * The delays between attempts: retry n waits {@code initial * 2^(n-1)} capped at {@code max},
 * less a random share of up to {@code jitter} of it.
 */
record Backoff(Duration initial, Duration max, double jitter) {

    /** The full delay level before retry {@code retry} (1 for the first), without jitter. */
    long levelMillis(int retry) {
        long initialMs = initial.toMillis();
        long maxMs = max.toMillis();
        int shift = Math.min(retry - 1, 62);
        if (shift >= Long.numberOfLeadingZeros(initialMs) - 1) {
            return maxMs;
        }
        return Math.min(maxMs, initialMs << shift);
    }

    /** The delay to wait for a level, jitter applied: uniform in [level * (1 - jitter), level]. */
    long jittered(long levelMillis, double random) {
        return levelMillis - (long) (levelMillis * jitter * random);
    }
}
