package io.spool.bench.store;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * What a store benchmark run does, from its command line. The defaults are the scenario of the
 * issue "Durable, crash-safe message store": one million persistent 1 KiB messages through a
 * broker held to a 256 MiB heap.
 *
 * @param runId           names this run's report and work directory (its start, yyyyMMdd-HHmmss)
 * @param spoolHome       the checkout whose {@code bin/spool} starts the broker
 * @param resultsDir      where the markdown report is written
 * @param workDir         broker logs and GC logs of this run
 * @param revision        what is measured (a commit id), printed in the report
 * @param messages        messages published, then drained, in the fill-and-drain scenario
 * @param warmupMessages  published into a scratch queue (then deleted) before the fill
 * @param bodySize        body bytes per message
 * @param window          publishes a publisher may have unconfirmed at once (fill and drain)
 * @param sliceSize       messages per rate slice, so early and late depths can be compared
 * @param prefetch        basic.qos of the draining consumer
 * @param heap            the broker's -Xmx
 * @param publishers      publisher counts of the group-commit scenario
 * @param scalingWindows  unconfirmed-publish windows of the group-commit scenario
 * @param warmupSeconds   publishing before a group-commit measurement starts
 * @param measureSeconds  length of one group-commit measurement
 * @param extraJavaOpts   more broker JVM options (a profiler, say), from SPOOL_BENCH_JAVA_OPTS
 * @param fillAndDrain    run the fill-and-drain scenario
 * @param scaling         run the group-commit scenario
 */
record BenchOptions(
        String runId,
        Path spoolHome,
        Path resultsDir,
        Path workDir,
        String revision,
        int messages,
        int warmupMessages,
        int bodySize,
        int window,
        int sliceSize,
        int prefetch,
        String heap,
        List<Integer> publishers,
        List<Integer> scalingWindows,
        int warmupSeconds,
        int measureSeconds,
        String extraJavaOpts,
        boolean fillAndDrain,
        boolean scaling) {

    static final String USAGE = """
            usage: store-benchmark [options]
              --messages N          messages to publish then drain (1000000)
              --warmup-messages N   published to a scratch queue before the fill, for the JIT (100000)
              --body-size BYTES     body size (1024)
              --window N            unconfirmed publishes in flight while filling (1000)
              --slice N             messages per rate slice (100000)
              --prefetch N          basic.qos of the draining consumer (100)
              --heap SIZE           broker -Xmx (256m)
              --publishers LIST     publisher counts for the group-commit runs (1,4,16)
              --scaling-windows L   confirm windows for the group-commit runs (1,1000)
              --scaling-warmup S    seconds before each group-commit measurement (2)
              --scaling-seconds S   length of each group-commit measurement (10)
              --only fill-drain|scaling run one scenario
              --results DIR         where the markdown report goes (spool-bench/results)
            SPOOL_BENCH_JAVA_OPTS adds broker JVM options, e.g. -XX:StartFlightRecording=...
            """;

    static BenchOptions parse(String[] args, String runId) {
        Path spoolHome = Path.of(".");
        Path resultsDir = null;
        Path workDir = null;
        String revision = "unknown";
        int messages = 1_000_000;
        int warmupMessages = 100_000;
        int bodySize = 1024;
        int window = 1000;
        int sliceSize = 100_000;
        int prefetch = 100;
        String heap = "256m";
        List<Integer> publishers = List.of(1, 4, 16);
        List<Integer> scalingWindows = List.of(1, 1000);
        int warmup = 2;
        int seconds = 10;
        boolean fillAndDrain = true;
        boolean scaling = true;
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
                case "--messages" -> messages = positive(flag, v);
                case "--warmup-messages" -> warmupMessages = Integer.parseInt(v);
                case "--body-size" -> bodySize = Math.max(8, positive(flag, v));
                case "--window" -> window = positive(flag, v);
                case "--slice" -> sliceSize = positive(flag, v);
                case "--prefetch" -> prefetch = positive(flag, v);
                case "--heap" -> heap = v;
                case "--publishers" -> publishers = list(flag, v);
                case "--scaling-windows" -> scalingWindows = list(flag, v);
                case "--scaling-warmup" -> warmup = Integer.parseInt(v);
                case "--scaling-seconds" -> seconds = positive(flag, v);
                case "--only" -> {
                    fillAndDrain = v.equals("fill-drain");
                    scaling = v.equals("scaling");
                    if (!fillAndDrain && !scaling) {
                        throw new IllegalArgumentException("--only takes fill-drain or scaling, not " + v);
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
            workDir = spoolHome.resolve("spool-bench/target/store-benchmark").resolve(runId);
        }
        String extra = System.getenv().getOrDefault("SPOOL_BENCH_JAVA_OPTS", "").trim();
        return new BenchOptions(runId, spoolHome, resultsDir, workDir, revision, messages, warmupMessages, bodySize,
                window, Math.min(sliceSize, messages), prefetch, heap, publishers, scalingWindows, warmup, seconds, extra,
                fillAndDrain, scaling);
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

    private static List<Integer> list(String flag, String v) {
        List<Integer> out = new ArrayList<>();
        for (String s : Arrays.asList(v.split(","))) {
            out.add(positive(flag, s.trim()));
        }
        return List.copyOf(out);
    }
}
