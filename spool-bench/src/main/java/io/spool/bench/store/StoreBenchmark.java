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
 * The store benchmark's entry point (run by {@code spool-bench/store-benchmark}): runs the
 * fill-restart-drain scenario and the group-commit scenario against brokers started with
 * {@code bin/spool server}, each on a fresh data directory, then prints the markdown report and
 * writes it to the results directory. Progress goes to stderr, the report to stdout.
 */
public final class StoreBenchmark {

    private StoreBenchmark() {}

    public static void main(String[] args) throws Exception {
        LocalDateTime now = LocalDateTime.now();
        BenchOptions options = DriverCommandLine.readOrExit(new StoreBenchmarkCommand(), args)
                .options(now.format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")));
        Files.createDirectories(options.workDir());

        List<String> loads = new ArrayList<>();
        loads.add("at start " + HostInfo.loadAverage());
        FillDrainResult fillDrain = null;
        List<ScalingRow> scaling = null;
        if (options.fillAndDrain()) {
            try (ScratchDirectory data = new ScratchDirectory("spool-bench-store-")) {
                fillDrain = new FillAndDrain(options, data.path()).run();
            }
            loads.add("after fill-restart-drain " + HostInfo.loadAverage());
        }
        if (options.scaling()) {
            try (ScratchDirectory data = new ScratchDirectory("spool-bench-scaling-")) {
                scaling = new PublisherScaling(options, data.path()).run();
            }
            loads.add("after group commit " + HostInfo.loadAverage());
        }

        Report report = new Report(options, now.format(DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm")), loads);
        if (fillDrain != null) {
            report.fillAndDrain(fillDrain);
        }
        if (scaling != null) {
            report.scaling(options, scaling);
        }
        report.notes();
        report.line("Broker and GC logs of this run: `%s`", options.spoolHome().relativize(options.workDir()));
        String md = report.markdown();
        System.out.print(md);
        Files.createDirectories(options.resultsDir());
        Path out = options.resultsDir().resolve("store-" + options.runId() + ".md");
        Files.writeString(out, md, StandardCharsets.UTF_8);
        System.err.println("report written to " + out);
    }
}
