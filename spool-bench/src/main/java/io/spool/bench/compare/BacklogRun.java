package io.spool.bench.compare;

import io.spool.bench.store.DiskUsage;
import java.io.IOException;
import java.time.Duration;

/**
 * A backlog built and drained: PerfTest publishes a fixed count ({@code -C}) with no consumer,
 * the broker's memory and disk are read at full depth, then PerfTest consumes the same count
 * ({@code -D}). Each phase is bounded by its seconds; the rates are PerfTest's averages over
 * the phase. Whether RabbitMQ's memory alarm blocked the publisher shows in its log, which the
 * report quotes.
 */
final class BacklogRun {

    /** Time for the broker to settle (page out, collect) before its memory at full depth is read. */
    static final long SETTLE_MILLIS = 5_000;

    private BacklogRun() {}

    static void measure(RunContext ctx, ScenarioPhase fill, ScenarioPhase drain) throws IOException, InterruptedException {
        RunResult r = ctx.result();
        long messages = Long.parseLong(fill.flag("-C", "--pmessages", "0"));
        UsageSnapshot fillStart = ctx.snapshot(-1);
        PhaseOutcome filled = runPhase(ctx, "fill", fill, "Producer reached message limit");
        UsageWindow fillUsage = UsageWindow.between(fillStart, filled.end());
        r.put(Metric.PUBLISH_RATE, filled.rate(true, messages, fillUsage.seconds()));

        Thread.sleep(SETTLE_MILLIS);
        r.put(Metric.RSS_FULL, RunContext.mib(ctx.brokerMemory().rssKib()));
        r.put(Metric.DISK, DiskUsage.bytes(ctx.broker().dataDir()) / 1024.0 / 1024.0);

        UsageSnapshot drainStart = ctx.snapshot(-1);
        PhaseOutcome drained = runPhase(ctx, "drain", drain, "Consumer reached message limit");
        UsageWindow drainUsage = UsageWindow.between(drainStart, drained.end());
        r.put(Metric.CONSUME_RATE, drained.rate(false, messages, drainUsage.seconds()));

        r.put(Metric.CPU_PER_MILLION, (fillUsage.brokerCpuSeconds() + drainUsage.brokerCpuSeconds()) / messages * 1e6);
        r.put(Metric.PEAK_RSS, RunContext.mib(ctx.brokerMemory().peakRssKib()));
        r.put(Metric.OTHERS_LOAD, (fillUsage.othersCores() * fillUsage.seconds() + drainUsage.othersCores() * drainUsage.seconds())
                / (fillUsage.seconds() + drainUsage.seconds()));
    }

    /** How a phase ended: PerfTest's averages and the CPU counters when it stopped. */
    private record PhaseOutcome(PerfTestSummary summary, boolean completed, UsageSnapshot end) {

        /** PerfTest's average; if it printed none, the count over the wall time; NaN if incomplete. */
        double rate(boolean sending, long messages, double seconds) {
            if (!completed) {
                return Double.NaN;
            }
            long avg = sending ? summary.sendingRate() : summary.receivingRate();
            return avg > 0 ? avg : messages / seconds;
        }
    }

    private static PhaseOutcome runPhase(RunContext ctx, String name, ScenarioPhase phase, String expectedStop)
            throws IOException, InterruptedException {
        PerfTestProcess pt = ctx.startPerfTest(name, phase.flags(), null);
        boolean ended;
        try {
            ended = pt.awaitExit(Duration.ofSeconds(phase.seconds()));
        } finally {
            pt.stop();
        }
        UsageSnapshot end = ctx.snapshot(-1);
        ctx.notePerfTest(name, pt, ended);
        String reason = pt.summary().stopReason();
        boolean completed = ended && expectedStop.equals(reason);
        if (ended && !completed) {
            ctx.result().note(name + ": PerfTest stopped with \"" + reason + "\", not \"" + expectedStop + "\"");
        }
        if (!ended) {
            ctx.result().note(name + ": not done within " + phase.seconds() + " s; its rate is left out");
        }
        return new PhaseOutcome(pt.summary(), completed, end);
    }
}
