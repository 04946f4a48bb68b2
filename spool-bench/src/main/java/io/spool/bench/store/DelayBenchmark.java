package io.spool.bench.store;

import io.spool.bench.cli.DriverCommandLine;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;

/**
 * The delay benchmark's entry point (run by {@code spool-bench/delay-benchmark}): delay accuracy
 * under light load and with a million messages due in one minute, ten million scheduled
 * messages against a small heap, and a drop-head queue under publisher overload, each against
 * a broker started with {@code bin/spool server} on a fresh data directory. Progress goes to
 * stderr, the markdown report to stdout and the results directory.
 */
public final class DelayBenchmark {

    private DelayBenchmark() {}

    public static void main(String[] args) throws Exception {
        LocalDateTime now = LocalDateTime.now();
        DelayOptions options = DriverCommandLine.readOrExit(new DelayBenchmarkCommand(), args)
                .options(now.format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")));
        Files.createDirectories(options.workDir());

        List<String> loads = new ArrayList<>();
        loads.add("at start " + HostInfo.loadAverage());
        List<DelayAccuracy.Result> accuracy = new ArrayList<>();
        ScheduledHeap.Result heap = null;
        DropHeadOverload.Result overload = null;
        if (options.accuracy()) {
            DelayAccuracy scenario = new DelayAccuracy(options);
            accuracy.add(scenario.light(options.lightMessages()));
            loads.add("after the light run " + HostInfo.loadAverage());
            accuracy.add(scenario.bulk(options.bulkMessages(), options.bulkLeadSeconds() * 1000L));
            loads.add("after the bulk run " + HostInfo.loadAverage());
        }
        if (options.heapRun()) {
            heap = new ScheduledHeap(options).run();
            loads.add("after the heap run " + HostInfo.loadAverage());
        }
        if (options.overload()) {
            overload = new DropHeadOverload(options).run();
            loads.add("after the overload run " + HostInfo.loadAverage());
        }

        DelayReport report = new DelayReport(options, now.format(DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm")), loads);
        if (!accuracy.isEmpty()) {
            report.accuracy(accuracy);
        }
        if (heap != null) {
            report.heap(heap);
        }
        if (overload != null) {
            report.overload(overload);
        }
        report.notes();
        report.line("Broker and GC logs of this run: `%s`", options.spoolHome().relativize(options.workDir()));
        String md = report.markdown();
        System.out.print(md);
        Files.createDirectories(options.resultsDir());
        Path out = options.resultsDir().resolve("delay-" + options.runId() + ".md");
        Files.writeString(out, md, StandardCharsets.UTF_8);
        System.err.println("report written to " + out);
    }
}
