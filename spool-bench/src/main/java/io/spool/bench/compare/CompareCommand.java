package io.spool.bench.compare;

import io.spool.bench.cli.CommonOptions;
import io.spool.bench.cli.PositiveInt;
import java.nio.file.Path;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import picocli.CommandLine.Command;
import picocli.CommandLine.Help.Visibility;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * The comparison's command line, as picocli reads it from what {@code spool-bench/compare}
 * passes; {@link #options} makes the run's {@link CompareOptions}. Options whose default
 * depends on {@code --quick} have none here and say theirs in their description.
 */
@Command(name = CompareCommand.NAME,
        description = "Spool and RabbitMQ side by side under PerfTest, the scenarios of the script's table.")
final class CompareCommand {

    static final String NAME = "compare";

    @Option(names = "--quick", showDefaultValue = Visibility.NEVER,
            description = "a smoke run of the harness: the table's quick column (fewer messages, queues, connections "
                    + "and seconds), warm-up and settle 2 s, quiet wait 10 s (as given otherwise); its report stays "
                    + "with its logs in --work")
    boolean quick;

    @Option(names = "--scenarios", paramLabel = "ID", split = ",",
            description = {"scenarios to run", "  Default: all"})
    List<Integer> scenarios;

    @Option(names = "--rounds", paramLabel = "N", defaultValue = "3", converter = PositiveInt.class,
            description = "rounds per scenario")
    int rounds;

    @Option(names = "--heavy-rounds", paramLabel = "N", converter = PositiveInt.class,
            description = {"rounds for 5-7, the backlog and the many-clients ones", "  Default: as --rounds"})
    Integer heavyRounds;

    @Option(names = "--warmup", paramLabel = "S",
            description = {"seconds of each flow run not measured", "  Default: 5, 2 with --quick"})
    Integer warmupSeconds;

    @Option(names = "--settle", paramLabel = "S",
            description = {"pause after the last client connects in 6 and 7", "  Default: 5, 2 with --quick"})
    Integer settleSeconds;

    @Option(names = "--connect-timeout", paramLabel = "S", defaultValue = "300", converter = PositiveInt.class,
            description = "bound on opening the connections of 6 and 7")
    int connectTimeoutSeconds;

    @Option(names = "--quiet-cores", paramLabel = "X", defaultValue = "0.5",
            description = "before each run wait until others use at most X cores...")
    double quietCores;

    @Option(names = "--quiet-wait", paramLabel = "S",
            description = {"...for at most S seconds", "  Default: 20, 10 with --quick"})
    Integer quietWaitSeconds;

    @Option(names = "--spool-java-opts", paramLabel = "OPTS",
            description = {"JAVA_OPTS for Spool", "  Default: none, the JVM's defaults"})
    String spoolJavaOpts;

    @Option(names = "--brokers", paramLabel = "BROKER", split = ",", defaultValue = "rabbitmq,spool",
            description = "measure only one of them (for debugging the harness)")
    List<BrokerKind> brokers;

    @Option(names = "--scenario-table", paramLabel = "FILE", required = true,
            description = "id | name | kind | seconds | quick | flags (the script passes its table)")
    Path scenarioTable;

    @Option(names = "--perftest-classpath", paramLabel = "CP", required = true,
            description = "PerfTest and its libraries, as a java -cp value (the script passes them)")
    String perfTestClasspath;

    @Option(names = "--perftest-version", paramLabel = "VERSION", defaultValue = "unknown",
            description = "PerfTest's version, for the report")
    String perfTestVersion;

    @Option(names = "--rabbitmq-server", paramLabel = "FILE", defaultValue = "/usr/lib/rabbitmq/bin/rabbitmq-server",
            description = "the package's rabbitmq-server script, run in the foreground")
    Path rabbitServer;

    @Option(names = "--rabbitmq-version", paramLabel = "VERSION", defaultValue = "unknown",
            description = "the installed package's version, for the report")
    String rabbitVersion;

    @Mixin
    CommonOptions common;

    CompareOptions options(String runId) {
        // A quick run has seconds to spare for nothing: it proves the harness, it measures nothing.
        int warmup = Objects.requireNonNullElse(warmupSeconds, quick ? 2 : 5);
        int settle = Objects.requireNonNullElse(settleSeconds, quick ? 2 : 5);
        int quietWait = Objects.requireNonNullElse(quietWaitSeconds, quick ? 10 : 20);
        Path work = common.workDir(NAME, runId);
        // Figures of a quick run are not results: they stay with its logs.
        Path results = quick ? common.resultsDirOr(work) : common.resultsDir();
        return new CompareOptions(runId, common.spoolHome(), common.revision(), scenarioTable, perfTestClasspath,
                perfTestVersion, rabbitServer, rabbitVersion, quick,
                scenarios == null ? Set.of() : Set.copyOf(scenarios), List.copyOf(brokers), rounds,
                Objects.requireNonNullElse(heavyRounds, rounds), warmup, settle, connectTimeoutSeconds, quietCores,
                quietWait, Objects.requireNonNullElse(spoolJavaOpts, "").trim(), results, work);
    }
}
