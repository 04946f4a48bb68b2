package io.spool.bench.compare;

import io.spool.bench.store.ProcCpu;
import java.io.IOException;

/**
 * CPU counters read at one instant: the broker's, the load tool's, this driver's, and the whole
 * machine's busy time. Two snapshots make a {@link UsageWindow}.
 */
record UsageSnapshot(long nanoTime, long brokerCpu, long clientCpu, long driverCpu, long machineBusy) {

    static UsageSnapshot take(long brokerPid, long clientPid) {
        return new UsageSnapshot(System.nanoTime(), cpu(brokerPid), clientPid < 0 ? 0 : cpu(clientPid),
                ownCpu(), MachineCpu.busyNanos());
    }

    /** This driver's CPU, with the load tool runs it has started and reaped (a backlog phase's). */
    private static long ownCpu() {
        try {
            return ProcCpu.nanosWithReapedChildren(ProcessHandle.current().pid());
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }

    private static long cpu(long pid) {
        try {
            return ProcCpu.nanos(pid);
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }
}
