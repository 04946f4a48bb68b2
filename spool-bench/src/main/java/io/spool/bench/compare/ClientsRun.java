package io.spool.bench.compare;

import java.io.IOException;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

/**
 * Many clients at once: PerfTest opens one connection per producer and per consumer; once the
 * broker has them all (counted from the kernel's TCP table) and a settling pause has passed,
 * the broker's CPU and memory are measured over the phase's seconds, then PerfTest is stopped.
 * Memory per connection is the broker's RSS growth over its idle RSS before PerfTest started.
 */
final class ClientsRun {

    private ClientsRun() {}

    static void measure(RunContext ctx, ScenarioPhase phase) throws IOException, InterruptedException {
        RunResult r = ctx.result();
        CompareOptions o = ctx.options();
        int expected = phase.connections();
        long idleRssKib = ctx.brokerMemory().rssKib();
        List<TimedSample> samples = new CopyOnWriteArrayList<>();
        long t0 = System.nanoTime();
        try (PerfTestProcess pt = ctx.startPerfTest("clients", phase.flags(),
                (p, s) -> samples.add(new TimedSample(s, ctx.snapshot(p.pid()))))) {
            long deadline = t0 + TimeUnit.SECONDS.toNanos(o.connectTimeoutSeconds());
            int open;
            while ((open = EstablishedConnections.to(ctx.broker().amqpPort())) < expected
                    && System.nanoTime() < deadline && pt.alive()) {
                Thread.sleep(250);
            }
            double setup = (System.nanoTime() - t0) / 1e9;
            if (open < expected) {
                r.note("only " + open + " of " + expected + " connections open after " + Math.round(setup)
                        + " s" + (pt.alive() ? "" : " (PerfTest exited)") + "; measured as they were");
            } else {
                r.put(Metric.SETUP_SECONDS, setup);
            }
            Thread.sleep(o.settleSeconds() * 1000L);
            UsageSnapshot from = ctx.snapshot(pt.pid());
            Thread.sleep(phase.seconds() * 1000L);
            UsageSnapshot to = ctx.snapshot(pt.pid());
            long rssKib = ctx.brokerMemory().rssKib();
            int connections = EstablishedConnections.to(ctx.broker().amqpPort());

            UsageWindow u = UsageWindow.between(from, to);
            r.put(Metric.CONNECTIONS, connections);
            r.put(Metric.RSS_STEADY, RunContext.mib(rssKib));
            r.put(Metric.RSS_PER_CONNECTION, connections > 0 ? (rssKib - idleRssKib) / (double) connections : Double.NaN);
            r.put(Metric.BROKER_CPU, u.brokerCores());
            r.put(Metric.OTHERS_LOAD, u.othersCores());
            SampleWindow w = SampleWindow.between(samples, from.nanoTime(), to.nanoTime());
            if (w.usable()) {
                r.put(Metric.PUBLISH_RATE, w.publishRate());
                r.put(Metric.CONSUME_RATE, w.consumeRate());
            }
            pt.stop();
            ctx.notePerfTest("clients", pt, true);
        }
        r.put(Metric.PEAK_RSS, RunContext.mib(ctx.brokerMemory().peakRssKib()));
    }
}
