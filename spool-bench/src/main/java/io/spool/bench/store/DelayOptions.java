package io.spool.bench.store;

import io.spool.bench.cli.DriverCommandLine;
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

    /** The run {@code runId} that {@code args} ask for; bad input is an IllegalArgumentException saying what. */
    static DelayOptions parse(String[] args, String runId) {
        return DriverCommandLine.read(new DelayBenchmarkCommand(), args).options(runId);
    }

    /** JVM options of every broker this run starts; the GC log goes to {@code gcLog}. */
    String brokerJavaOpts(Path gcLog) {
        return BrokerJavaOpts.of(heap, extraJavaOpts, gcLog);
    }
}
