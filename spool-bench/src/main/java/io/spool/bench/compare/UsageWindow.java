package io.spool.bench.compare;

/**
 * What happened between two {@link UsageSnapshot}s: wall time, broker CPU and the CPU that other
 * work on the machine took (machine busy time minus the broker, the load tool and this driver).
 * CPU is in cores: 1.0 is one core busy the whole window.
 */
record UsageWindow(double seconds, double brokerCpuSeconds, double othersCores) {

    static UsageWindow between(UsageSnapshot from, UsageSnapshot to) {
        double seconds = (to.nanoTime() - from.nanoTime()) / 1e9;
        double broker = (to.brokerCpu() - from.brokerCpu()) / 1e9;
        double ours = broker + (to.clientCpu() - from.clientCpu()) / 1e9 + (to.driverCpu() - from.driverCpu()) / 1e9;
        double machine = (to.machineBusy() - from.machineBusy()) / 1e9;
        double others = seconds > 0 ? Math.max(0, machine - ours) / seconds : Double.NaN;
        return new UsageWindow(seconds, broker, others);
    }

    double brokerCores() {
        return seconds > 0 ? brokerCpuSeconds / seconds : Double.NaN;
    }

    /** Broker CPU-seconds per million messages. */
    double brokerCpuSecondsPerMillion(double messages) {
        return messages > 0 ? brokerCpuSeconds / messages * 1e6 : Double.NaN;
    }
}
