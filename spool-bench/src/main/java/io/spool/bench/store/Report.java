package io.spool.bench.store;

import java.time.Duration;
import java.util.List;
import java.util.Locale;

/** Writes a run's figures as markdown: what was measured, on what, and against which aims. */
final class Report {

    /** Aim of the issue: the publish rate at 900k depth within 10% of the rate at 100k. */
    static final double MAX_SLOWDOWN = 0.10;
    /** Aim of the issue: restart with 1M messages waiting in under 3 s. */
    static final Duration MAX_RESTART = Duration.ofSeconds(3);

    private final StringBuilder md = new StringBuilder();

    Report(BenchOptions o, String started, List<String> loads) {
        line("# Spool store benchmark");
        line("");
        line("- run: %s, revision `%s`", started, o.revision());
        line("- host: %d cores, %s RAM, %s; broker `JAVA_OPTS=%s`", HostInfo.cores(), HostInfo.memory(),
                HostInfo.jdk(), o.brokerJavaOpts(java.nio.file.Path.of("<gc.log>")));
        line("- load average (1/5/15 min): %s", String.join("; ", loads));
        line("- command: `spool-bench/store-benchmark%s`", o.extraJavaOpts().isEmpty() ? ""
                : " (SPOOL_BENCH_JAVA_OPTS=" + o.extraJavaOpts() + ")");
        line("");
    }

    void fillAndDrain(FillDrainResult r) {
        line("## Fill, restart, drain: %,d persistent %d-byte messages, one durable queue", r.messages(), r.bodySize());
        line("");
        line("Published with confirms (window %d) while no consumer is attached, after %,d messages through a scratch "
                + "queue to warm the JIT; the broker is stopped (SIGTERM) and started again with the queue full, once with "
                + "its files in the page cache and once with them evicted; the second drains the queue: one consumer, "
                + "manual acks, one ack per message, prefetch %d.", r.window(), r.warmupMessages(), r.prefetch());
        line("");
        line("| measure | value |");
        line("|---|---|");
        line("| publish rate, whole fill | %s msg/s (%.1f s) |", rate(r.publishRate()), r.publishNanos() / 1e9);
        SliceClock.Slice early = sliceAt(r.publishSlices(), 1);
        SliceClock.Slice late = r.publishSlices().getLast();
        if (early != null) {
            line("| publish rate at %s-%s depth | %s msg/s |", k(early.from()), k(early.to()), rate(early.perSecond()));
            line("| publish rate at %s-%s depth | %s msg/s (%s vs %s) |", k(late.from()), k(late.to()),
                    rate(late.perSecond()), percent(late.perSecond() / early.perSecond() - 1), k(early.from()));
        }
        line("| fsyncs while filling | %,d (%s/s, %.1f messages per fsync) |", r.fillCounters().fsyncs(),
                rate(r.fillCounters().fsyncs() * 1e9 / r.publishNanos()),
                (double) r.messages() / Math.max(1, r.fillCounters().fsyncs()));
        line("| drain rate, whole queue | %s msg/s (%.1f s) |", rate(r.drainRate()), r.drainNanos() / 1e9);
        line("| group commits / fsyncs while draining (acks are written, not fsynced) | %,d / %,d |",
                r.drainCounters().commits(), r.drainCounters().fsyncs());
        line("| broker CPU time per message, publish / drain | %.1f µs / %.1f µs |",
                r.publishCpuNanos() / 1e3 / r.messages(), r.drainCpuNanos() / 1e3 / r.messages());
        line("| peak RSS (VmHWM), filling broker | %s |", mib(r.fillMemory().peakRssKib()));
        line("| peak RSS (VmHWM), restarted broker through the drain | %s |", mib(r.drainMemory().peakRssKib()));
        line("| peak heap after GC, filling / draining | %s / %s |", mib(r.fillGc().maxAfterKib()),
                mib(r.drainGc().maxAfterKib()));
        line("| peak heap before GC (garbage included), filling / draining | %s / %s |",
                mib(r.fillGc().maxBeforeKib()), mib(r.drainGc().maxBeforeKib()));
        line("| live heap at full depth, after a full GC | %s |", mib(r.liveHeapAtFullDepthKib()));
        line("| disk used at full depth (du) | %s (%,d bytes per message) |", mib(r.diskAtFullDepth() / 1024),
                r.diskAtFullDepth() / r.messages());
        line("| disk used after the drain (du) | %s |", mib(r.diskAfterDrain() / 1024));
        line("| clean stop with the queue full | %,d ms |", r.cleanStop().toMillis());
        restart("warm", r.warmRestart());
        restart("cold", r.coldRestart());
        line("| restart, cold: spawn to the first delivered message | %,d ms |", r.coldSpawnToFirstDelivery().toMillis());
        DrainConsumer.Check c = r.check();
        line("| drain check | %,d received, %,d missing, %,d duplicated, %,d out of order, %,d flagged redelivered |",
                c.received(), c.missing(), c.duplicates(), c.outOfOrder(), c.redelivered());
        line("");
        line("Rate per slice (publish: depth grows through the slice; drain: depth falls):");
        line("");
        line("| messages | publish msg/s | broker CPU per publish | drain msg/s | broker CPU per delivery + ack |");
        line("|---|---:|---:|---:|---:|");
        for (int i = 0; i < r.publishSlices().size(); i++) {
            SliceClock.Slice p = r.publishSlices().get(i);
            SliceClock.Slice d = sliceAt(r.drainSlices(), i);
            line("| %s-%s | %s | %.1f µs | %s | %s |", k(p.from()), k(p.to()), rate(p.perSecond()),
                    p.cpuMicrosPerMessage(), d == null ? "-" : rate(d.perSecond()),
                    d == null ? "-" : String.format(Locale.ROOT, "%.1f µs", d.cpuMicrosPerMessage()));
        }
        line("");
        aims(r, early, late);
    }

    private void restart(String kind, RestartTiming t) {
        line("| restart, %s (%s of the data in the page cache): spawn of bin/spool to the ready line | %,d ms |", kind,
                mib(t.cachedBytes() / 1024), t.spawnToReady().toMillis());
        line("| restart, %s: recovery as the broker logs it / Broker.start | %,d ms / %,d ms |", kind,
                t.recoveryMillis(), t.startMillis());
    }

    private void aims(FillDrainResult r, SliceClock.Slice early, SliceClock.Slice late) {
        line("| aim | measured | met |");
        line("|---|---|---|");
        if (early != null) {
            double change = late.perSecond() / early.perSecond() - 1;
            line("| publish rate at %s depth within %.0f%% of the rate at %s | %s (broker CPU per publish %.1f µs vs "
                    + "%.1f µs) | %s |", k(late.from()), MAX_SLOWDOWN * 100, k(early.from()), percent(change),
                    late.cpuMicrosPerMessage(), early.cpuMicrosPerMessage(), yes(change >= -MAX_SLOWDOWN));
        }
        for (RestartTiming t : List.of(r.warmRestart(), r.coldRestart())) {
            line("| restart with %s waiting in under %d s (spawn to ready; %s cached) | %.2f s | %s |", k(r.messages()),
                    MAX_RESTART.toSeconds(), mib(t.cachedBytes() / 1024), t.spawnToReady().toMillis() / 1000.0,
                    yes(t.spawnToReady().compareTo(MAX_RESTART) < 0));
        }
        line("| every message back once, in order | %s | %s |", r.check().clean() ? "yes" : "no", yes(r.check().clean()));
        line("");
    }

    void scaling(BenchOptions o, List<ScalingRow> rows) {
        line("## Group commit: confirmed persistent publishes into one durable queue");
        line("");
        line("Each publisher has its own connection and keeps at most `window` publishes unconfirmed; %d s warm-up, "
                + "then %d s measured. fsyncs and commits are the broker's own counters (`/api/overview` -> `storage`).",
                o.warmupSeconds(), o.measureSeconds());
        line("");
        line("| window | publishers | msgs/s | fsyncs/s | commits/s | msgs per fsync | broker CPU per msg |");
        line("|---:|---:|---:|---:|---:|---:|---:|");
        for (ScalingRow row : rows) {
            line("| %d | %d | %s | %s | %s | %.1f | %.1f µs |", row.window(), row.publishers(),
                    rate(row.messagesPerSecond()), rate(row.fsyncsPerSecond()), rate(row.commitsPerSecond()),
                    row.messagesPerFsync(), row.cpuMicrosPerMessage());
        }
        line("");
    }

    void notes() {
        line("What the figures mean:");
        line("");
        line("- *peak RSS* is the kernel's high-water mark (VmHWM in /proc/<pid>/status) of the broker JVM over its "
                + "whole life: heap, metaspace, thread stacks, Netty's direct buffers, code cache.");
        line("- *peak heap after GC* is the largest heap occupancy right after any collection in the broker's GC log "
                + "(-Xlog:gc): an upper bound on what the broker kept reachable. *Before GC* counts garbage too and "
                + "mostly shows where the collector chose to start.");
        line("- *live heap at full depth* is `jcmd GC.heap_info` right after `jcmd GC.run`, with every message waiting.");
        line("- the warm restart finds the segment files the first run just wrote in the page cache. Before the cold "
                + "one they are fsynced and dropped from it (posix_fadvise DONTNEED through `dd iflag=nocache`, this "
                + "directory only), as after a reboot; the virtual disk's host may still cache them.");
        line("- the load driver runs on the same machine as the broker and competes with it for the cores; rates "
                + "move with the machine's load, the broker's CPU time per message (utime + stime from /proc/<pid>/stat) "
                + "much less.");
        line("");
    }

    String markdown() {
        return md.toString();
    }

    private static SliceClock.Slice sliceAt(List<SliceClock.Slice> slices, int i) {
        return i < slices.size() ? slices.get(i) : null;
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

    private static String k(long n) {
        if (n >= 1_000_000 && n % 1_000_000 == 0) {
            return n / 1_000_000 + "M";
        }
        return n % 1000 == 0 ? n / 1000 + "k" : Long.toString(n);
    }

    private static String percent(double change) {
        return String.format(Locale.ROOT, "%+.1f%%", change * 100);
    }

    private static String yes(boolean met) {
        return met ? "yes" : "**no**";
    }
}
