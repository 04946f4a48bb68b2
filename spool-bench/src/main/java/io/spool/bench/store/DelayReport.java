package io.spool.bench.store;

import java.util.List;
import java.util.Locale;

/** Writes a delay benchmark run's figures as markdown: what was measured, on what, against which aims. */
final class DelayReport {

    /** Aim of the issue: a delayed message is delivered within 50 ms of its due time under light load. */
    static final long MAX_LATENESS_MILLIS = 50;

    private final StringBuilder md = new StringBuilder();
    private final DelayOptions options;

    DelayReport(DelayOptions o, String started, List<String> loads) {
        this.options = o;
        line("# Spool delay benchmark");
        line("");
        line("- run: %s, revision `%s`", started, o.revision());
        line("- host: %d cores, %s RAM, %s; broker `JAVA_OPTS=%s`", HostInfo.cores(), HostInfo.memory(),
                HostInfo.jdk(), o.brokerJavaOpts(java.nio.file.Path.of("<gc.log>")));
        line("- load average (1/5/15 min): %s", String.join("; ", loads));
        line("- command: `spool-bench/delay-benchmark%s`", o.extraJavaOpts().isEmpty() ? ""
                : " (SPOOL_BENCH_JAVA_OPTS=" + o.extraJavaOpts() + ")");
        line("");
    }

    void accuracy(List<DelayAccuracy.Result> runs) {
        line("## Delay accuracy");
        line("");
        line("Persistent %d-byte messages published with confirms (at most 100 unconfirmed) to a durable "
                + "x-delayed-message exchange, after %,d delayed messages through the same exchange to warm the "
                + "JIT; one auto-ack consumer on the durable queue behind it. *light*: "
                + "a steady trickle, each message due 1-5 s after it is published; *bulk*: published as fast as "
                + "confirms allow, in random order, due evenly over a one-minute window. Lateness is arrival at the "
                + "consumer minus the due time the publisher asked for (same clock), so it includes the publish, the "
                + "schedule and the delivery.",
                options.bodySize(), DelayAccuracy.WARMUP_MESSAGES);
        line("");
        line("| run | messages | due | published in | published after due | received / duplicated | lateness "
                + "min / p50 / p90 / p99 / p99.9 / max | within %d ms at p99 | broker peak RSS / heap after GC |",
                MAX_LATENESS_MILLIS);
        line("|---|---:|---|---:|---:|---:|---|---|---|");
        for (DelayAccuracy.Result r : runs) {
            Lateness l = r.lateness();
            line("| %s | %,d | %s | %.1f s | %,d | %,d / %,d | %d / %d / %d / %d / %d / %d ms "
                            + "| %s | %s / %s |", r.name(), r.messages(), r.due(), r.publishNanos() / 1e9,
                    r.publishedLate(), r.received(),
                    r.duplicates(), l.min(), l.p50(), l.p90(), l.p99(), l.p999(), l.max(),
                    yes(l.p99() <= MAX_LATENESS_MILLIS), mib(r.memory().peakRssKib()), mib(r.gc().maxAfterKib()));
        }
        line("");
    }

    void heap(ScheduledHeap.Result r) {
        line("## %,d scheduled messages", r.messages());
        line("");
        line("Persistent %d-byte messages published with confirms (1000 in flight) to a durable x-delayed-message "
                + "exchange, each due between one hour and a day later, so none falls due during the run. After each "
                + "step: the broker's live heap right after a full GC (`jcmd GC.run`, then `GC.heap_info`), its RSS, "
                + "and the disk its data directory takes (du).", r.bodySize());
        line("");
        line("| scheduled | publish rate of the step | live heap after full GC | RSS | disk |");
        line("|---:|---:|---:|---:|---:|");
        for (ScheduledHeap.Step s : r.steps()) {
            line("| %,d | %s | %s | %s | %s |", s.scheduled(), s.scheduled() == 0 ? "-" : rate(s.publishRate()) + " msg/s",
                    mib(s.liveHeapKib()), mib(s.rssKib()), mib(s.diskBytes() / 1024));
        }
        line("");
        ScheduledHeap.Restart x = r.restart();
        line("| measure | value |");
        line("|---|---|");
        line("| peak RSS (VmHWM) of the scheduling broker | %s |", mib(r.fillMemory().peakRssKib()));
        line("| peak heap after GC / before GC (garbage included), scheduling broker | %s / %s |",
                mib(r.fillGc().maxAfterKib()), mib(r.fillGc().maxBeforeKib()));
        line("| restart with everything scheduled: spawn of bin/spool to the ready line | %,d ms |",
                x.spawnToReady().toMillis());
        line("| restart: schedule recovery as the broker logs it | %,d messages from %,d files in %,d ms |",
                x.recovered(), x.files(), x.recoveryMillis());
        line("| restart: live heap after full GC / RSS | %s / %s |", mib(x.liveHeapKib()), mib(x.rssKib()));
        line("");
    }

    void overload(DropHeadOverload.Result r) {
        line("## A drop-head queue under publisher overload");
        line("");
        line("A durable queue with x-max-length %,d and x-overflow drop-head; %d publishers of persistent 1 KiB "
                + "messages, each with confirms and 1000 in flight, flood it while one consumer (prefetch 100, one ack "
                + "per message) takes %,d a second. Rates over %d s after a 3 s warm-up.", r.maxLength(), r.publishers(),
                r.consumerRate(), r.seconds());
        line("");
        line("| measure | value |");
        line("|---|---|");
        line("| publishes confirmed | %s msg/s |", rate(r.confirmRate()));
        line("| publishes the queue counted | %s msg/s |", rate(r.brokerPublishRate()));
        line("| delivered (and acked) | %s msg/s |", rate(r.deliverRate()));
        line("| dropped from the head | %s msg/s |", rate(r.dropRate()));
        line("| deepest the queue got (sampled every 250 ms) | %,d |", r.maxReady());
        line("| publishes nacked | %,d |", r.nacked());
        line("| broker peak RSS / peak heap after GC | %s / %s |", mib(r.memory().peakRssKib()), mib(r.gc().maxAfterKib()));
        line("");
    }

    void notes() {
        line("What the figures mean:");
        line("");
        line("- *peak RSS* is the kernel's high-water mark (VmHWM in /proc/<pid>/status) of the broker JVM; *heap after "
                + "GC* the largest occupancy right after a collection in its GC log (-Xlog:gc).");
        line("- the load driver runs on the same machine as the broker and competes with it for the cores; on a "
                + "shared machine lateness and rates move with the neighbours' load (see the load averages above).");
        line("");
    }

    String markdown() {
        return md.toString();
    }

    void line(String format, Object... args) {
        md.append(String.format(Locale.ROOT, format, args)).append('\n');
    }

    private static String rate(double perSecond) {
        return String.format(Locale.ROOT, "%,.0f", perSecond);
    }

    private static String mib(long kib) {
        return String.format(Locale.ROOT, "%,.1f MiB", kib / 1024.0);
    }

    private static String yes(boolean met) {
        return met ? "yes" : "**no**";
    }
}
