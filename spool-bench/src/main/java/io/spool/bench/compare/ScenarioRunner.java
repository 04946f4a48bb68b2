package io.spool.bench.compare;

import io.spool.bench.store.ScratchDirectory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Runs one scenario against one broker: waits for a quiet moment, starts the broker on a fresh
 * scratch directory, runs the scenario's phases, stops the broker and deletes its data. Nothing
 * thrown escapes: a failed run is a result with a note, and the comparison goes on.
 */
final class ScenarioRunner {

    private final CompareOptions options;

    ScenarioRunner(CompareOptions options) {
        this.options = options;
    }

    RunResult run(Scenario scenario, BrokerKind kind, int round) {
        RunResult result = new RunResult(scenario, kind, round);
        Path logDir = options.workDir().resolve(scenario.id() + "-" + scenario.name())
                .resolve(kind.name().toLowerCase(java.util.Locale.ROOT) + "-r" + round);
        try {
            Files.createDirectories(logDir);
            QuietMachine.Reading before = QuietMachine.await(options.quietCores(), options.quietWaitSeconds(), 2);
            if (before.busyCores() > options.quietCores()) {
                result.note(String.format(java.util.Locale.ROOT,
                        "machine still busy after waiting %d s: others used %.2f cores (%s)",
                        options.quietWaitSeconds(), before.busyCores(), before.busiest().isEmpty()
                                ? "no process visible from here used much of it: another container, or short-lived ones"
                                : String.join(", ", before.busiest())));
            }
            try (ScratchDirectory scratch = new ScratchDirectory("spool-compare-");
                 BrokerUnderTest broker = start(kind, scratch.path(), logDir.resolve("broker.log"))) {
                RunContext ctx = new RunContext(options, broker, logDir, result);
                runPhases(ctx, scenario.phases());
                double others = result.value(Metric.OTHERS_LOAD);
                if (others > options.quietCores()) {
                    result.note(String.format(java.util.Locale.ROOT,
                            "others used %.2f cores while this run was measured: its figures are disturbed", others));
                }
                List<String> problems = broker.logProblems();
                if (!problems.isEmpty()) {
                    result.note("broker logged " + problems.size() + " warning/error line(s), first: " + problems.get(0));
                }
                broker.stop();
            }
        } catch (Exception e) {
            result.note("run failed: " + e);
            System.err.println("compare: " + scenario.title() + " on " + kind.label() + " failed: " + e);
        }
        return result;
    }

    private BrokerUnderTest start(BrokerKind kind, Path scratch, Path log) throws Exception {
        return switch (kind) {
            case SPOOL -> SpoolBroker.start(options.spoolHome(), options.spoolJavaOpts(), scratch.resolve("data"), log);
            case RABBITMQ -> RabbitBroker.start(options.rabbitServer(), scratch, log);
        };
    }

    private static void runPhases(RunContext ctx, List<ScenarioPhase> phases) throws Exception {
        for (int i = 0; i < phases.size(); i++) {
            ScenarioPhase p = phases.get(i);
            switch (p.kind()) {
                case FLOW -> FlowRun.measure(ctx, p);
                case LATENCY -> LatencyRun.measure(ctx, p);
                case CLIENTS -> ClientsRun.measure(ctx, p);
                case FILL -> {
                    if (i + 1 >= phases.size() || phases.get(i + 1).kind() != PhaseKind.DRAIN) {
                        throw new IllegalArgumentException("a fill phase must be followed by its drain phase");
                    }
                    BacklogRun.measure(ctx, p, phases.get(++i));
                }
                case DRAIN -> throw new IllegalArgumentException("a drain phase must follow a fill phase");
            }
        }
    }
}
