package io.spool.bench.compare;

import io.spool.bench.cli.DriverCommandLine;
import io.spool.bench.store.HostInfo;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;

/**
 * Entry point of {@code spool-bench/compare}: every selected scenario against RabbitMQ and Spool
 * in turn (RabbitMQ then Spool in each round), then the markdown report to stdout and to the
 * results directory. Progress goes to stderr. After each run the report so far is written to
 * the work directory, so an interrupted comparison leaves its figures behind.
 */
public final class CompareBenchmark {

    private CompareBenchmark() {}

    public static void main(String[] args) throws Exception {
        LocalDateTime start = LocalDateTime.now();
        CompareOptions options = DriverCommandLine.readOrExit(new CompareCommand(), args)
                .options(start.format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")));
        List<Scenario> scenarios;
        try {
            List<Scenario> table = ScenarioTable.read(options.scenarioTable(), options.quick());
            for (int id : options.scenarios()) {
                if (table.stream().noneMatch(s -> s.id() == id)) {
                    throw new IllegalArgumentException("--scenarios: there is no scenario " + id + " (the table has "
                            + table.stream().map(s -> Integer.toString(s.id())).toList() + ")");
                }
            }
            scenarios = table.stream().filter(options::selected).toList();
        } catch (IllegalArgumentException e) {
            System.err.println("compare: " + e.getMessage());
            System.exit(2);
            return;
        }
        if (scenarios.isEmpty()) {
            System.err.println("compare: no scenario selected");
            System.exit(2);
            return;
        }
        Files.createDirectories(options.workDir());
        Files.copy(options.scenarioTable(), options.workDir().resolve("scenarios.txt"), StandardCopyOption.REPLACE_EXISTING);
        String startedAt = start.format(DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm"));
        String loadAtStart = HostInfo.loadAverage();
        ScenarioRunner runner = new ScenarioRunner(options);
        List<RunResult> results = new ArrayList<>();
        for (Scenario s : scenarios) {
            int rounds = options.roundsOf(s);
            for (int round = 1; round <= rounds; round++) {
                for (BrokerKind broker : options.brokers()) {
                    System.err.printf("compare: %s, round %d/%d, %s (load %s)%n", s.title(), round, rounds,
                            broker.label(), HostInfo.loadAverage());
                    RunResult r = runner.run(s, broker, round);
                    results.add(r);
                    System.err.printf("compare:   %s%s%n", r.values(), r.notes().isEmpty() ? "" : " notes: " + r.notes());
                    String partial = report(options, scenarios, results, startedAt, loadAtStart);
                    Files.writeString(options.workDir().resolve("report-so-far.md"), partial, StandardCharsets.UTF_8);
                }
            }
        }
        String md = report(options, scenarios, results, startedAt, loadAtStart);
        System.out.print(md);
        Files.createDirectories(options.resultsDir());
        Path out = options.resultsDir().resolve("compare-" + options.runId() + (options.quick() ? "-quick" : "") + ".md");
        Files.writeString(out, md, StandardCharsets.UTF_8);
        System.err.println("compare: report written to " + out);
    }

    private static String report(CompareOptions options, List<Scenario> scenarios, List<RunResult> results,
                                 String startedAt, String loadAtStart) {
        String now = LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm"));
        return new CompareReport(options, scenarios, results).markdown(startedAt, now, MachineDescription.describe(),
                HostInfo.jdk(), loadAtStart, HostInfo.loadAverage());
    }
}
