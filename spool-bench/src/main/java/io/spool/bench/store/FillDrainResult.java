package io.spool.bench.store;

import java.time.Duration;
import java.util.List;

/**
 * Everything the fill-and-drain scenario measured. Three broker processes share one data
 * directory: the filling one, one restarted with the page cache warm (stopped once ready), and
 * one restarted with the directory evicted from the page cache, which drains the queue.
 */
record FillDrainResult(
        int messages,
        int bodySize,
        int window,
        int prefetch,
        int warmupMessages,
        List<SliceClock.Slice> publishSlices,
        long publishNanos,
        long publishCpuNanos,
        ManagementClient.StoreCounters fillCounters,
        List<SliceClock.Slice> drainSlices,
        long drainNanos,
        long drainCpuNanos,
        ManagementClient.StoreCounters drainCounters,
        ProcMemory fillMemory,
        ProcMemory drainMemory,
        GcLogPeaks fillGc,
        GcLogPeaks drainGc,
        long liveHeapAtFullDepthKib,
        long diskAtFullDepth,
        long diskAfterDrain,
        Duration cleanStop,
        RestartTiming warmRestart,
        RestartTiming coldRestart,
        Duration coldSpawnToFirstDelivery,
        DrainConsumer.Check check) {

    double publishRate() {
        return messages * 1e9 / publishNanos;
    }

    double drainRate() {
        return messages * 1e9 / drainNanos;
    }
}
