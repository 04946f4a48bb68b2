package io.spool.bench.compare;

import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/**
 * What one run (one scenario, one broker, one round) measured, and what went wrong in it:
 * PerfTest's warnings, the broker's logged warnings, time bounds reached.
 */
final class RunResult {

    private final Scenario scenario;
    private final BrokerKind broker;
    private final int round;
    private final Map<Metric, Double> values = new EnumMap<>(Metric.class);
    private final List<String> notes = new ArrayList<>();

    RunResult(Scenario scenario, BrokerKind broker, int round) {
        this.scenario = scenario;
        this.broker = broker;
        this.round = round;
    }

    void put(Metric m, double v) {
        values.put(m, v);
    }

    void note(String text) {
        notes.add(text);
    }

    Scenario scenario() {
        return scenario;
    }

    BrokerKind broker() {
        return broker;
    }

    int round() {
        return round;
    }

    double value(Metric m) {
        return values.getOrDefault(m, Double.NaN);
    }

    Map<Metric, Double> values() {
        return Collections.unmodifiableMap(values);
    }

    List<String> notes() {
        return Collections.unmodifiableList(notes);
    }
}
