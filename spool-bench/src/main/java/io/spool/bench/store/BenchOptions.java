package io.spool.bench.store;

import io.spool.bench.cli.DriverCommandLine;
import java.nio.file.Path;
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

    /** The run {@code runId} that {@code args} ask for; bad input is an IllegalArgumentException saying what. */
    static BenchOptions parse(String[] args, String runId) {
        return DriverCommandLine.read(new StoreBenchmarkCommand(), args).options(runId);
    }

    /** JVM options of every broker this run starts; the GC log goes to {@code gcLog}. */
    String brokerJavaOpts(Path gcLog) {
        return BrokerJavaOpts.of(heap, extraJavaOpts, gcLog);
    }
}
