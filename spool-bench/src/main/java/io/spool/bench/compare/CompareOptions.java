package io.spool.bench.compare;

import io.spool.bench.cli.DriverCommandLine;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;

/**
 * What a comparison run does, from the command line that {@code spool-bench/compare} builds.
 *
 * @param runId              names the report and the log directory (start time, yyyyMMdd-HHmmss)
 * @param spoolHome          the checkout whose {@code bin/spool} starts Spool
 * @param revision           the commit measured, for the report
 * @param scenarioTable      the script's scenario table (id | name | kind | seconds | flags)
 * @param perfTestClasspath  PerfTest and its libraries, as a java -cp value
 * @param perfTestVersion    for the report
 * @param rabbitServer       the package's rabbitmq-server script, run in the foreground
 * @param rabbitVersion      the installed package's version, for the report
 * @param quick              a smoke run of the harness: the scenario table's quick column (fewer
 *                           messages, queues, connections and seconds), short warm-up and pauses
 * @param scenarios          ids to run; empty means all
 * @param brokers            which brokers to measure (both unless debugging one)
 * @param rounds             A B rounds per scenario
 * @param heavyRounds        rounds for the backlog and many-clients scenarios
 * @param warmupSeconds      seconds of each flow run left out of the measurement
 * @param settleSeconds      pause between the last client connecting and the measurement
 * @param connectTimeoutSeconds bound on connecting the many-clients scenarios' clients
 * @param quietCores         wait before each run until others use at most this much CPU...
 * @param quietWaitSeconds   ...but no longer than this
 * @param spoolJavaOpts      JAVA_OPTS for Spool ("" is the JVM's defaults)
 * @param resultsDir         where the markdown report goes
 * @param workDir            broker and PerfTest logs of this run
 */
record CompareOptions(
        String runId,
        Path spoolHome,
        String revision,
        Path scenarioTable,
        String perfTestClasspath,
        String perfTestVersion,
        Path rabbitServer,
        String rabbitVersion,
        boolean quick,
        Set<Integer> scenarios,
        List<BrokerKind> brokers,
        int rounds,
        int heavyRounds,
        int warmupSeconds,
        int settleSeconds,
        int connectTimeoutSeconds,
        double quietCores,
        int quietWaitSeconds,
        String spoolJavaOpts,
        Path resultsDir,
        Path workDir) {

    /** The run {@code runId} that {@code args} ask for; bad input is an IllegalArgumentException saying what. */
    static CompareOptions parse(String[] args, String runId) {
        return DriverCommandLine.read(new CompareCommand(), args).options(runId);
    }

    int roundsOf(Scenario s) {
        return s.heavy() ? heavyRounds : rounds;
    }

    boolean selected(Scenario s) {
        return scenarios.isEmpty() || scenarios.contains(s.id());
    }
}
