package io.spool.bench.store;

import io.spool.bench.cli.CommonOptions;
import io.spool.bench.cli.PositiveInt;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** The delay benchmark's command line, as picocli reads it; {@link #options} makes the run's {@link DelayOptions}. */
@Command(name = DelayBenchmarkCommand.NAME, footer = BrokerJavaOpts.USAGE_NOTE,
        description = "Delay accuracy, ten million scheduled messages against a small heap, and a drop-head queue "
                + "under publisher overload.")
final class DelayBenchmarkCommand {

    static final String NAME = "delay-benchmark";

    /** The scenarios {@code --only} picks from. */
    enum Scenario {
        ACCURACY,
        HEAP,
        OVERLOAD
    }

    @Option(names = "--light", paramLabel = "N", defaultValue = "12000", converter = PositiveInt.class,
            description = "messages of the light-load run, published evenly over the spread")
    int lightMessages;

    @Option(names = "--bulk", paramLabel = "N", defaultValue = "1000000", converter = PositiveInt.class,
            description = "messages of the bulk accuracy run")
    int bulkMessages;

    @Option(names = "--spread", paramLabel = "S", defaultValue = "60", converter = PositiveInt.class,
            description = "seconds the due times of an accuracy run spread over")
    int spreadSeconds;

    @Option(names = "--bulk-lead", paramLabel = "S", defaultValue = "90", converter = PositiveInt.class,
            description = "seconds from the bulk run's first publish to its first due time")
    int bulkLeadSeconds;

    @Option(names = "--heap-messages", paramLabel = "N", defaultValue = "10000000", converter = PositiveInt.class,
            description = "messages scheduled in the heap run")
    int heapMessages;

    @Option(names = "--heap-step", paramLabel = "N", defaultValue = "1000000", converter = PositiveInt.class,
            description = "the heap run measures after each N, at most --heap-messages")
    int heapStep;

    @Option(names = "--overload-seconds", paramLabel = "S", defaultValue = "20", converter = PositiveInt.class,
            description = "length of the drop-head measurement")
    int overloadSeconds;

    @Option(names = "--publishers", paramLabel = "N", defaultValue = "2", converter = PositiveInt.class,
            description = "publishers flooding the drop-head queue")
    int publishers;

    @Option(names = "--consumer-rate", paramLabel = "N", defaultValue = "2000", converter = PositiveInt.class,
            description = "deliveries per second the drop-head consumer takes")
    int consumerRate;

    @Option(names = "--max-length", paramLabel = "N", defaultValue = "1000", converter = PositiveInt.class,
            description = "x-max-length of the drop-head queue")
    int maxLength;

    @Option(names = "--body-size", paramLabel = "BYTES", defaultValue = "64", converter = PositiveInt.class,
            description = "body size of the delayed messages, at least 16 (due time and number)")
    int bodySize;

    @Option(names = "--heap", paramLabel = "SIZE", defaultValue = "256m", description = "broker -Xmx")
    String heap;

    @Option(names = "--only", paramLabel = "SCENARIO", description = "run one scenario: accuracy, heap or overload")
    Scenario only;

    @Mixin
    CommonOptions common;

    DelayOptions options(String runId) {
        return new DelayOptions(runId, common.spoolHome(), common.resultsDir(), common.workDir(NAME, runId),
                common.revision(), heap, Math.max(16, bodySize), lightMessages, bulkMessages, spreadSeconds,
                bulkLeadSeconds, heapMessages, Math.min(heapStep, heapMessages), overloadSeconds, publishers,
                consumerRate, maxLength, BrokerJavaOpts.extra(), only == null || only == Scenario.ACCURACY,
                only == null || only == Scenario.HEAP, only == null || only == Scenario.OVERLOAD);
    }
}
