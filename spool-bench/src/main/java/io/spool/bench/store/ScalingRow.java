package io.spool.bench.store;

/**
 * One group-commit measurement: {@code publishers} confirmed publishers, each with up to
 * {@code window} unconfirmed publishes, over {@code nanos}, and the broker's CPU time meanwhile.
 */
record ScalingRow(int window, int publishers, long confirmed, ManagementClient.StoreCounters counters, long nanos,
                  long brokerCpuNanos) {

    /** Broker CPU time per confirmed message, in microseconds. */
    double cpuMicrosPerMessage() {
        return confirmed == 0 ? 0 : brokerCpuNanos / 1e3 / confirmed;
    }

    double messagesPerSecond() {
        return confirmed * 1e9 / nanos;
    }

    double fsyncsPerSecond() {
        return counters.fsyncs() * 1e9 / nanos;
    }

    double commitsPerSecond() {
        return counters.commits() * 1e9 / nanos;
    }

    double messagesPerFsync() {
        return counters.fsyncs() == 0 ? 0 : (double) confirmed / counters.fsyncs();
    }
}
