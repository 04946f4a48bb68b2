package io.spool.bench.store;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

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
        BenchOptions options;
        try {
            options = BenchOptions.parse(args, now.format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")));
        } catch (IllegalArgumentException e) {
            if (!e.getMessage().isEmpty()) {
                System.err.println("store-benchmark: " + e.getMessage());
            }
            System.err.print(BenchOptions.USAGE);
            System.exit(2);
            return;
        }
        Files.createDirectories(options.workDir());

        List<String> loads = new ArrayList<>();
        loads.add("at start " + HostInfo.loadAverage());
        FillDrainResult fillDrain = null;
        List<ScalingRow> scaling = null;
        if (options.fillAndDrain()) {
            Path data = Files.createTempDirectory("spool-bench-store-");
            try {
                fillDrain = new FillAndDrain(options, data).run();
            } finally {
                deleteTree(data);
            }
            loads.add("after fill-restart-drain " + HostInfo.loadAverage());
        }
        if (options.scaling()) {
            Path data = Files.createTempDirectory("spool-bench-scaling-");
            try {
                scaling = new PublisherScaling(options, data).run();
            } finally {
                deleteTree(data);
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

    private static void deleteTree(Path dir) throws IOException {
        try (Stream<Path> walk = Files.walk(dir)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
