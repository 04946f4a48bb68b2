package io.spool.bench.store;

import io.spool.bench.cli.CommonOptions;
import io.spool.bench.cli.PositiveInt;
import java.util.List;
import java.util.Locale;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** The store benchmark's command line, as picocli reads it; {@link #options} makes the run's {@link BenchOptions}. */
@Command(name = StoreBenchmarkCommand.NAME, footer = BrokerJavaOpts.USAGE_NOTE,
        description = "Fill, restart and drain one durable queue, then group commit under 1 to 16 publishers.")
final class StoreBenchmarkCommand {

    static final String NAME = "store-benchmark";

    /** The scenarios {@code --only} picks from. */
    enum Scenario {
        FILL_DRAIN,
        SCALING;

        /** As the command line spells it, which is how picocli matches it: fill-drain. */
        @Override
        public String toString() {
            return name().toLowerCase(Locale.ROOT).replace('_', '-');
        }
    }

    @Option(names = "--messages", paramLabel = "N", defaultValue = "1000000", converter = PositiveInt.class,
            description = "messages to publish then drain")
    int messages;

    @Option(names = "--warmup-messages", paramLabel = "N", defaultValue = "100000",
            description = "published to a scratch queue before the fill, for the JIT")
    int warmupMessages;

    @Option(names = "--body-size", paramLabel = "BYTES", defaultValue = "1024", converter = PositiveInt.class,
            description = "body size, at least 8 (the message's number)")
    int bodySize;

    @Option(names = "--window", paramLabel = "N", defaultValue = "1000", converter = PositiveInt.class,
            description = "unconfirmed publishes in flight while filling")
    int window;

    @Option(names = "--slice", paramLabel = "N", defaultValue = "100000", converter = PositiveInt.class,
            description = "messages per rate slice, at most --messages")
    int sliceSize;

    @Option(names = "--prefetch", paramLabel = "N", defaultValue = "100", converter = PositiveInt.class,
            description = "basic.qos of the draining consumer")
    int prefetch;

    @Option(names = "--heap", paramLabel = "SIZE", defaultValue = "256m", description = "broker -Xmx")
    String heap;

    @Option(names = "--publishers", paramLabel = "N", split = ",", defaultValue = "1,4,16",
            converter = PositiveInt.class, description = "publisher counts for the group-commit runs")
    List<Integer> publishers;

    @Option(names = "--scaling-windows", paramLabel = "N", split = ",", defaultValue = "1,1000",
            converter = PositiveInt.class, description = "confirm windows for the group-commit runs")
    List<Integer> scalingWindows;

    @Option(names = "--scaling-warmup", paramLabel = "S", defaultValue = "2",
            description = "seconds before each group-commit measurement")
    int warmupSeconds;

    @Option(names = "--scaling-seconds", paramLabel = "S", defaultValue = "10", converter = PositiveInt.class,
            description = "length of each group-commit measurement")
    int measureSeconds;

    @Option(names = "--only", paramLabel = "SCENARIO", description = "run one scenario: fill-drain or scaling")
    Scenario only;

    @Mixin
    CommonOptions common;

    BenchOptions options(String runId) {
        return new BenchOptions(runId, common.spoolHome(), common.resultsDir(), common.workDir(NAME, runId),
                common.revision(), messages, warmupMessages, Math.max(8, bodySize), window,
                Math.min(sliceSize, messages), prefetch, heap, List.copyOf(publishers), List.copyOf(scalingWindows),
                warmupSeconds, measureSeconds, BrokerJavaOpts.extra(), only == null || only == Scenario.FILL_DRAIN,
                only == null || only == Scenario.SCALING);
    }
}
