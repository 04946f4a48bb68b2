package io.spool.bench.compare;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * Producers and consumers running for the phase's seconds (PerfTest's {@code -z}); the first
 * {@code --warmup} seconds are not measured. Publish and consume rates, PerfTest's consumer
 * latency, the broker's CPU over exactly the measured seconds (read as each of PerfTest's
 * once-a-second lines arrives), and its peak RSS.
 */
final class FlowRun {

    private FlowRun() {}

    static void measure(RunContext ctx, ScenarioPhase phase) throws IOException, InterruptedException {
        List<String> flags = new ArrayList<>(phase.flags());
        flags.addAll(List.of("-z", Integer.toString(phase.seconds())));
        List<TimedSample> samples = new CopyOnWriteArrayList<>();
        PerfTestProcess pt = ctx.startPerfTest("flow", flags,
                (p, s) -> samples.add(new TimedSample(s, ctx.snapshot(p.pid()))));
        boolean ended;
        try {
            ended = pt.awaitExit(Duration.ofSeconds(phase.seconds() + 120L));
        } finally {
            pt.stop();
        }
        ctx.notePerfTest("flow", pt, ended);
        record(ctx, SampleWindow.after(samples, ctx.options().warmupSeconds()), true);
        ctx.result().put(Metric.PEAK_RSS, RunContext.mib(ctx.brokerMemory().peakRssKib()));
    }

    /** Rates, latency (when PerfTest consumed) and CPU of a window into the result. */
    static void record(RunContext ctx, SampleWindow w, boolean latency) {
        RunResult r = ctx.result();
        if (!w.usable()) {
            r.note("fewer than two PerfTest samples after the warm-up: nothing measured");
            return;
        }
        double published = w.sentMessages();
        r.put(Metric.PUBLISH_RATE, w.publishRate());
        r.put(Metric.CONSUME_RATE, w.consumeRate());
        if (latency) {
            r.put(Metric.LATENCY_P50, w.latencyMedianMillis());
            r.put(Metric.LATENCY_P99, w.latencyP99Millis());
        }
        UsageWindow u = w.usage();
        r.put(Metric.BROKER_CPU, u.brokerCores());
        r.put(Metric.CPU_PER_MILLION, u.brokerCpuSecondsPerMillion(published));
        r.put(Metric.OTHERS_LOAD, u.othersCores());
    }
}
