package io.spool.bench.compare;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

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

    /** Every option that takes a value; {@code --quick} is the one that takes none. */
    private static final Set<String> VALUE_FLAGS = Set.of("--spool-home", "--revision", "--scenario-table",
            "--perftest-classpath", "--perftest-version", "--rabbitmq-server", "--rabbitmq-version", "--scenarios",
            "--brokers", "--rounds", "--heavy-rounds", "--warmup", "--settle", "--connect-timeout", "--quiet-cores",
            "--quiet-wait", "--spool-java-opts", "--results", "--work");

    static CompareOptions parse(String[] args, String runId) {
        Path spoolHome = Path.of(".");
        String revision = "unknown";
        Path table = null;
        String classpath = null;
        String perfTestVersion = "unknown";
        Path rabbitServer = Path.of("/usr/lib/rabbitmq/bin/rabbitmq-server");
        String rabbitVersion = "unknown";
        boolean quick = false;
        Set<Integer> scenarios = new TreeSet<>();
        List<BrokerKind> brokers = List.of(BrokerKind.RABBITMQ, BrokerKind.SPOOL);
        int rounds = 3;
        int heavyRounds = -1;
        Integer warmup = null;
        Integer settle = null;
        int connectTimeout = 300;
        double quietCores = 0.5;
        Integer quietWait = null;
        String spoolJavaOpts = "";
        Path results = null;
        Path work = null;
        for (int i = 0; i < args.length; i++) {
            String flag = args[i];
            if (flag.equals("--quick")) {
                quick = true;
                continue;
            }
            if (!VALUE_FLAGS.contains(flag)) {
                throw new IllegalArgumentException("unknown option " + flag + " (--help lists them)");
            }
            if (i + 1 >= args.length) {
                throw new IllegalArgumentException(flag + " needs a value");
            }
            String v = args[++i];
            switch (flag) {
                case "--spool-home" -> spoolHome = Path.of(v);
                case "--revision" -> revision = v;
                case "--scenario-table" -> table = Path.of(v);
                case "--perftest-classpath" -> classpath = v;
                case "--perftest-version" -> perfTestVersion = v;
                case "--rabbitmq-server" -> rabbitServer = Path.of(v);
                case "--rabbitmq-version" -> rabbitVersion = v;
                case "--scenarios" -> {
                    for (String s : v.split(",")) {
                        scenarios.add(integer(flag, s.trim()));
                    }
                }
                case "--brokers" -> brokers = brokers(v);
                case "--rounds" -> rounds = positive(flag, v);
                case "--heavy-rounds" -> heavyRounds = positive(flag, v);
                case "--warmup" -> warmup = integer(flag, v);
                case "--settle" -> settle = integer(flag, v);
                case "--connect-timeout" -> connectTimeout = positive(flag, v);
                case "--quiet-cores" -> quietCores = decimal(flag, v);
                case "--quiet-wait" -> quietWait = integer(flag, v);
                case "--spool-java-opts" -> spoolJavaOpts = v.trim();
                case "--results" -> results = Path.of(v);
                case "--work" -> work = Path.of(v);
                default -> throw new IllegalStateException("option " + flag + " is in VALUE_FLAGS but not handled");
            }
        }
        // A quick run has seconds to spare for nothing: it proves the harness, it measures nothing.
        if (warmup == null) {
            warmup = quick ? 2 : 5;
        }
        if (settle == null) {
            settle = quick ? 2 : 5;
        }
        if (quietWait == null) {
            quietWait = quick ? 10 : 20;
        }
        if (table == null || classpath == null) {
            throw new IllegalArgumentException("--scenario-table and --perftest-classpath are required (spool-bench/compare passes them)");
        }
        spoolHome = spoolHome.toAbsolutePath().normalize();
        if (work == null) {
            work = spoolHome.resolve("spool-bench/target/compare").resolve(runId);
        }
        if (results == null) {
            // Figures of a quick run are not results: they stay with its logs.
            results = quick ? work : spoolHome.resolve("spool-bench/results");
        }
        return new CompareOptions(runId, spoolHome, revision, table, classpath, perfTestVersion, rabbitServer,
                rabbitVersion, quick, Set.copyOf(scenarios), brokers, rounds, heavyRounds < 0 ? rounds : heavyRounds, warmup,
                settle, connectTimeout, quietCores, quietWait, spoolJavaOpts, results, work);
    }

    int roundsOf(Scenario s) {
        return s.heavy() ? heavyRounds : rounds;
    }

    boolean selected(Scenario s) {
        return scenarios.isEmpty() || scenarios.contains(s.id());
    }

    private static List<BrokerKind> brokers(String v) {
        List<BrokerKind> out = new ArrayList<>();
        for (String s : v.split(",")) {
            try {
                out.add(BrokerKind.valueOf(s.trim().toUpperCase(java.util.Locale.ROOT)));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("--brokers takes rabbitmq, spool or both, got '" + s.trim() + "'");
            }
        }
        return List.copyOf(out);
    }

    private static int integer(String flag, String v) {
        try {
            return Integer.parseInt(v);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(flag + " takes a whole number, got '" + v + "'");
        }
    }

    private static double decimal(String flag, String v) {
        try {
            return Double.parseDouble(v);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(flag + " takes a number, got '" + v + "'");
        }
    }

    private static int positive(String flag, String v) {
        int n = integer(flag, v);
        if (n <= 0) {
            throw new IllegalArgumentException(flag + " must be positive, got " + v);
        }
        return n;
    }
}
