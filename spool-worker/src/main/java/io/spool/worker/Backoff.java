package io.spool.worker;

import java.time.Duration;
import java.util.stream.LongStream;

/**
 * The delays between attempts: retry n waits {@code initial * 2^(n-1)} capped at {@code max},
 * less a random share of up to {@code jitter} of it.
 *
 * <p>A delay is a wait queue's TTL, and a queue expires messages from its head only, so one
 * queue cannot hold messages with different delays (a long one would hold up the short ones
 * behind it). Jitter therefore picks one of {@link #BUCKETS} wait queues per level, whose TTLs
 * are spread evenly from {@code level * (1 - jitter)} to {@code level}.
 */
record Backoff(Duration initial, Duration max, double jitter) {

    static final int BUCKETS = 4;

    /** The full delay before retry {@code retry} (1 for the first), without jitter. */
    long levelMillis(int retry) {
        long initialMs = initial.toMillis();
        long maxMs = max.toMillis();
        int shift = Math.min(retry - 1, 62);
        if (shift >= Long.numberOfLeadingZeros(initialMs) - 1) {
            return maxMs;
        }
        return Math.min(maxMs, initialMs << shift);
    }

    /** The wait-queue TTLs of a level, longest first: just the level without jitter. */
    long[] bucketsMillis(long levelMillis) {
        if (jitter == 0) {
            return new long[] {levelMillis};
        }
        return LongStream.range(0, BUCKETS)
                .map(i -> levelMillis - Math.round(levelMillis * jitter * i / (BUCKETS - 1)))
                .distinct()
                .toArray();
    }

    /** The TTL a retry waits: one of its level's buckets, chosen by {@code random} in [0, 1). */
    long pickMillis(int retry, double random) {
        long[] buckets = bucketsMillis(levelMillis(retry));
        return buckets[Math.min(buckets.length - 1, (int) (random * buckets.length))];
    }

    /** Every wait-queue TTL that retries 1 to {@code maxAttempts - 1} use. */
    long[] allBucketsMillis(int maxAttempts) {
        return LongStream.range(1, maxAttempts)
                .map(r -> levelMillis((int) r))
                .distinct()
                .flatMap(level -> LongStream.of(bucketsMillis(level)))
                .distinct()
                .toArray();
    }
}
