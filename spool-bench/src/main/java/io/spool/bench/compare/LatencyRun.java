package io.spool.bench.compare;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeoutException;

/**
 * A fixed publish rate from PerfTest (its flags give {@code -r}, confirms and {@code -y 0}) and a
 * {@link LatencyProbe} consuming: p50, p99 and p99.9 of every message published after the
 * warm-up, and the broker's CPU over the same seconds.
 */
final class LatencyRun {

    private static final int PREFETCH = 100;

    private LatencyRun() {}

    static void measure(RunContext ctx, ScenarioPhase phase) throws IOException, InterruptedException, TimeoutException {
        String queue = phase.queue();
        if (queue == null) {
            throw new IllegalArgumentException("the latency scenario's flags must name its queue with -u");
        }
        List<String> flags = new ArrayList<>(phase.flags());
        flags.addAll(List.of("-z", Integer.toString(phase.seconds())));
        List<TimedSample> samples = new CopyOnWriteArrayList<>();
        RunResult r = ctx.result();
        try (LatencyProbe probe = LatencyProbe.start(ctx.broker().amqpPort(), queue, PREFETCH)) {
            PerfTestProcess pt = ctx.startPerfTest("latency", flags,
                    (p, s) -> samples.add(new TimedSample(s, ctx.snapshot(p.pid()))));
            boolean ended;
            try {
                ended = pt.awaitExit(Duration.ofSeconds(phase.seconds() + 120L));
            } finally {
                pt.stop();
            }
            ctx.notePerfTest("latency", pt, ended);
            SampleWindow w = SampleWindow.after(samples, ctx.options().warmupSeconds());
            FlowRun.record(ctx, w, false);
            if (!w.usable()) {
                return;
            }
            long from = firstOf(samples, ctx.options().warmupSeconds());
            long to = samples.get(samples.size() - 1).usage().nanoTime();
            awaitQuiet(probe);
            long[] sorted = probe.latenciesPublishedBetween(from, to);
            r.put(Metric.CONSUME_RATE, sorted.length / ((to - from) / 1e9));
            r.put(Metric.LATENCY_P50, Stats.percentileOfSorted(sorted, sorted.length, 0.50) / 1e6);
            r.put(Metric.LATENCY_P99, Stats.percentileOfSorted(sorted, sorted.length, 0.99) / 1e6);
            r.put(Metric.LATENCY_P999, Stats.percentileOfSorted(sorted, sorted.length, 0.999) / 1e6);
            if (probe.malformed() > 0) {
                r.note(probe.malformed() + " message(s) too short to carry PerfTest's timestamp");
            }
        }
        r.put(Metric.PEAK_RSS, RunContext.mib(ctx.brokerMemory().peakRssKib()));
    }

    private static long firstOf(List<TimedSample> samples, double warmup) {
        for (TimedSample s : samples) {
            if (s.sample().seconds() >= warmup) {
                return s.usage().nanoTime();
            }
        }
        return samples.get(0).usage().nanoTime();
    }

    /** Waits until the probe has seen nothing new for a second (at most 30 s): late messages count. */
    private static void awaitQuiet(LatencyProbe probe) throws InterruptedException {
        long deadline = System.nanoTime() + 30_000_000_000L;
        int last = -1;
        while (probe.received() != last && System.nanoTime() < deadline) {
            last = probe.received();
            Thread.sleep(1_000);
        }
    }
}
