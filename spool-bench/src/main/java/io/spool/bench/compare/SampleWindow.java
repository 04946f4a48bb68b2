package io.spool.bench.compare;

import java.util.ArrayList;
import java.util.List;

/**
 * The measured part of a PerfTest run: its samples from the first one at or after the warm-up
 * to the last. Messages are rates times the length of their interval; latencies are the
 * median, over the window's seconds, of PerfTest's per-second median and 99th percentile.
 */
final class SampleWindow {

    private final List<TimedSample> samples;

    private SampleWindow(List<TimedSample> samples) {
        this.samples = samples;
    }

    /** Samples from the first at or after {@code warmupSeconds} on PerfTest's clock; may be empty. */
    static SampleWindow after(List<TimedSample> all, double warmupSeconds) {
        int first = 0;
        while (first < all.size() && all.get(first).sample().seconds() < warmupSeconds) {
            first++;
        }
        return new SampleWindow(List.copyOf(all.subList(first, all.size())));
    }

    /** Samples whose lines arrived between two instants (System.nanoTime). */
    static SampleWindow between(List<TimedSample> all, long fromNanos, long toNanos) {
        List<TimedSample> in = new ArrayList<>();
        for (TimedSample s : all) {
            if (s.usage().nanoTime() >= fromNanos && s.usage().nanoTime() <= toNanos) {
                in.add(s);
            }
        }
        return new SampleWindow(in);
    }

    /** At least two samples: one to start from, one interval measured. */
    boolean usable() {
        return samples.size() >= 2;
    }

    double seconds() {
        return usable() ? last().sample().seconds() - samples.get(0).sample().seconds() : Double.NaN;
    }

    double sentMessages() {
        return messages(true);
    }

    double receivedMessages() {
        return messages(false);
    }

    double publishRate() {
        return sentMessages() / seconds();
    }

    double consumeRate() {
        return receivedMessages() / seconds();
    }

    private double messages(boolean sent) {
        double total = 0;
        for (int i = 1; i < samples.size(); i++) {
            PerfTestSample s = samples.get(i).sample();
            double dt = s.seconds() - samples.get(i - 1).sample().seconds();
            long rate = sent ? s.sent() : s.received();
            total += Math.max(0, rate) * dt;
        }
        return total;
    }

    /** Median of the per-second consumer latency medians, milliseconds; NaN without any. */
    double latencyMedianMillis() {
        return medianMillis(false);
    }

    /** Median of the per-second consumer latency 99th percentiles, milliseconds. */
    double latencyP99Millis() {
        return medianMillis(true);
    }

    private double medianMillis(boolean p99) {
        double[] v = samples.stream().skip(1)
                .mapToLong(s -> p99 ? s.sample().latencyP99Us() : s.sample().latencyMedianUs())
                .filter(x -> x > 0)
                .mapToDouble(x -> x / 1000.0)
                .toArray();
        return Stats.median(v);
    }

    UsageWindow usage() {
        return UsageWindow.between(samples.get(0).usage(), last().usage());
    }

    private TimedSample last() {
        return samples.get(samples.size() - 1);
    }
}
