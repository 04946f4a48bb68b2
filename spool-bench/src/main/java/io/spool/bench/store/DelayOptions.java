package io.spool.bench.store;

import java.nio.file.Path;

/**
 * What a delay benchmark run does, from its command line. The defaults are the scenarios of the
 * issue "Job semantics": delay accuracy under light load and for a million messages due across
 * one minute, ten million scheduled messages against a 256 MiB heap, and a drop-head queue
 * under publisher overload.
 *
 * @param runId            names this run's report and work directory (its start, yyyyMMdd-HHmmss)
 * @param spoolHome        the checkout whose {@code bin/spool} starts the broker
 * @param resultsDir       where the markdown report is written
 * @param workDir          broker logs and GC logs of this run
 * @param revision         what is measured (a commit id), printed in the report
 * @param heap             the broker's -Xmx
 * @param bodySize         body bytes of the delayed messages (at least 16: due time and number)
 * @param lightMessages    messages of the light-load accuracy run
 * @param bulkMessages     messages of the bulk accuracy run
 * @param spreadSeconds    the due times of an accuracy run spread over this many seconds
 * @param bulkLeadSeconds  the bulk run's first due time is this far after its first publish
 * @param heapMessages     messages scheduled in the heap run
 * @param heapStep         the heap run measures after each this many
 * @param overloadSeconds  length of the drop-head measurement
 * @param publishers       publishers flooding the drop-head queue
 * @param consumerRate     deliveries per second the drop-head queue's consumer takes
 * @param maxLength        x-max-length of the drop-head queue
 * @param extraJavaOpts    more broker JVM options (a profiler, say), from SPOOL_BENCH_JAVA_OPTS
 * @param accuracy         run the accuracy scenarios
 * @param heapRun          run the ten-million scenario
 * @param overload         run the drop-head scenario
 */
record DelayOptions(
        String runId,
        Path spoolHome,
        Path resultsDir,
        Path workDir,
        String revision,
        String heap,
        int bodySize,
        int lightMessages,
        int bulkMessages,
        int spreadSeconds,
        int bulkLeadSeconds,
        int heapMessages,
        int heapStep,
        int overloadSeconds,
        int publishers,
        int consumerRate,
        int maxLength,
        String extraJavaOpts,
        boolean accuracy,
        boolean heapRun,
        boolean overload) {

    static final String USAGE = """
            usage: delay-benchmark [options]
              --light N             messages of the light-load run, published evenly over the spread (12000)
              --bulk N              messages of the bulk accuracy run (1000000)
              --spread S            seconds the due times of an accuracy run spread over (60)
              --bulk-lead S         seconds from the bulk run's first publish to its first due time (90)
              --heap-messages N     messages scheduled in the heap run (10000000)
              --heap-step N         the heap run measures after each N (1000000)
              --overload-seconds S  length of the drop-head measurement (20)
              --publishers N        publishers flooding the drop-head queue (2)
              --consumer-rate N     deliveries per second the drop-head consumer takes (2000)
              --max-length N        x-max-length of the drop-head queue (1000)
              --body-size BYTES     body size of the delayed messages (64)
              --heap SIZE           broker -Xmx (256m)
              --only accuracy|heap|overload run one scenario
              --results DIR         where the markdown report goes (spool-bench/results)
            SPOOL_BENCH_JAVA_OPTS adds broker JVM options, e.g. -XX:StartFlightRecording=...
            """;

    static DelayOptions parse(String[] args, String runId) {
        Path spoolHome = Path.of(".");
        Path resultsDir = null;
        Path workDir = null;
        String revision = "unknown";
        String heap = "256m";
        int bodySize = 64;
        int light = 12_000;
        int bulk = 1_000_000;
        int spread = 60;
        int lead = 90;
        int heapMessages = 10_000_000;
        int heapStep = 1_000_000;
        int overloadSeconds = 20;
        int publishers = 2;
        int consumerRate = 2000;
        int maxLength = 1000;
        boolean accuracy = true;
        boolean heapRun = true;
        boolean overload = true;
        for (int i = 0; i < args.length; i++) {
            String flag = args[i];
            if (i + 1 >= args.length) {
                throw new IllegalArgumentException(flag + " needs a value");
            }
            String v = args[++i];
            switch (flag) {
                case "--spool-home" -> spoolHome = Path.of(v);
                case "--results" -> resultsDir = Path.of(v);
                case "--work" -> workDir = Path.of(v);
                case "--revision" -> revision = v;
                case "--heap" -> heap = v;
                case "--body-size" -> bodySize = Math.max(16, positive(flag, v));
                case "--light" -> light = positive(flag, v);
                case "--bulk" -> bulk = positive(flag, v);
                case "--spread" -> spread = positive(flag, v);
                case "--bulk-lead" -> lead = positive(flag, v);
                case "--heap-messages" -> heapMessages = positive(flag, v);
                case "--heap-step" -> heapStep = positive(flag, v);
                case "--overload-seconds" -> overloadSeconds = positive(flag, v);
                case "--publishers" -> publishers = positive(flag, v);
                case "--consumer-rate" -> consumerRate = positive(flag, v);
                case "--max-length" -> maxLength = positive(flag, v);
                case "--only" -> {
                    accuracy = v.equals("accuracy");
                    heapRun = v.equals("heap");
                    overload = v.equals("overload");
                    if (!accuracy && !heapRun && !overload) {
                        throw new IllegalArgumentException("--only takes accuracy, heap or overload, not " + v);
                    }
                }
                default -> throw new IllegalArgumentException("unknown option " + flag);
            }
        }
        spoolHome = spoolHome.toAbsolutePath().normalize();
        if (resultsDir == null) {
            resultsDir = spoolHome.resolve("spool-bench/results");
        }
        if (workDir == null) {
            workDir = spoolHome.resolve("spool-bench/target/delay-benchmark").resolve(runId);
        }
        String extra = System.getenv().getOrDefault("SPOOL_BENCH_JAVA_OPTS", "").trim();
        return new DelayOptions(runId, spoolHome, resultsDir, workDir, revision, heap, bodySize, light, bulk, spread,
                lead, heapMessages, Math.min(heapStep, heapMessages), overloadSeconds, publishers, consumerRate,
                maxLength, extra, accuracy, heapRun, overload);
    }

    /** JVM options of every broker this run starts; the GC log goes to {@code gcLog}. */
    String brokerJavaOpts(Path gcLog) {
        // bin/spool splits JAVA_OPTS on whitespace, so the GC log path must not hold any.
        if (gcLog.toString().contains(" ")) {
            throw new IllegalArgumentException("the work directory path must not contain spaces: " + gcLog);
        }
        String opts = "-Xmx" + heap + " -Xlog:gc:file=" + gcLog;
        return extraJavaOpts.isEmpty() ? opts : opts + " " + extraJavaOpts;
    }

    private static int positive(String flag, String v) {
        int n = Integer.parseInt(v);
        if (n <= 0) {
            throw new IllegalArgumentException(flag + " must be positive, got " + v);
        }
        return n;
    }
}
