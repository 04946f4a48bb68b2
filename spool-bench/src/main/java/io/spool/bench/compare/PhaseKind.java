package io.spool.bench.compare;

/**
 * What the driver does around one PerfTest invocation of a scenario, named in the scenario
 * table's {@code kind} column.
 */
enum PhaseKind {
    /** Producers and consumers for {@code seconds}: rates, latency, CPU and RSS after a warm-up. */
    FLOW,
    /** PerfTest publishes at a fixed rate; the driver's own consumer measures every latency. */
    LATENCY,
    /** Publish a fixed count with no consumer, bounded by {@code seconds}; memory at full depth. */
    FILL,
    /** Consume what {@link #FILL} left, bounded by {@code seconds}. */
    DRAIN,
    /** Many clients: wait until all are connected, then measure {@code seconds} of steady state. */
    CLIENTS;

    static PhaseKind parse(String s) {
        try {
            return valueOf(s.trim().toUpperCase(java.util.Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("unknown scenario kind '" + s.trim() + "' (flow, latency, fill, drain, clients)");
        }
    }
}
