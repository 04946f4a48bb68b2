package io.spool.bench.compare;

import java.util.List;

/** A numbered scenario of the comparison and its PerfTest invocations, in order. */
record Scenario(int id, String name, List<ScenarioPhase> phases) {

    Scenario {
        phases = List.copyOf(phases);
    }

    /** Scenarios that fill a backlog or open thousands of connections run fewer rounds if asked. */
    boolean heavy() {
        return phases.stream().anyMatch(p -> p.kind() == PhaseKind.FILL || p.kind() == PhaseKind.CLIENTS);
    }

    String title() {
        return id + " " + name;
    }
}
