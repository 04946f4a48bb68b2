package io.spool.bench.compare;

import java.util.List;

/**
 * One PerfTest invocation of a scenario: what the driver does around it, its time (a measured
 * length or an upper bound, as {@link PhaseKind} says) and PerfTest's flags, without the URI.
 */
record ScenarioPhase(PhaseKind kind, int seconds, List<String> flags) {

    ScenarioPhase {
        flags = List.copyOf(flags);
    }

    /** The value of a PerfTest flag given in short or long form, or {@code fallback}. */
    String flag(String shortName, String longName, String fallback) {
        for (int i = 0; i + 1 < flags.size(); i++) {
            String f = flags.get(i);
            if (f.equals(shortName) || f.equals(longName)) {
                return flags.get(i + 1);
            }
        }
        return fallback;
    }

    int producers() {
        return Integer.parseInt(flag("-x", "--producers", "1"));
    }

    int consumers() {
        return Integer.parseInt(flag("-y", "--consumers", "1"));
    }

    /** The queue the flags name with -u, or null. */
    String queue() {
        return flag("-u", "--queue", null);
    }

    /** Connections PerfTest opens: one per producer and one per consumer. */
    int connections() {
        return producers() + consumers();
    }

    String commandLine() {
        return String.join(" ", flags);
    }
}
