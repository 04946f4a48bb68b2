package io.spool.bench.compare;

import java.util.List;

/**
 * One aim of the issue "Benchmarks side by side with RabbitMQ", checked against the medians:
 * either a ratio Spool / RabbitMQ ({@code minRatio} at least, {@code maxRatio} at most) or an
 * absolute ceiling on Spool's figure. {@code rabbitExpected} is what the issue measured for
 * RabbitMQ 3.10 on this kind of machine, to compare our RabbitMQ figures with.
 */
record Aim(int scenario, Metric metric, String text, String rabbitExpected, double minRatio, double maxRatio,
           double spoolCeiling) {

    static final double NONE = Double.NaN;

    static List<Aim> fromIssue() {
        return List.of(
                new Aim(1, Metric.PUBLISH_RATE, "Spool ≥ 3× RabbitMQ", "~80k", 3, NONE, NONE),
                new Aim(1, Metric.CONSUME_RATE, "Spool ≥ 3× RabbitMQ", "~80k", 3, NONE, NONE),
                new Aim(1, Metric.CPU_PER_MILLION, "reported", "", NONE, NONE, NONE),
                new Aim(2, Metric.PUBLISH_RATE, "Spool ≥ 3× RabbitMQ", "~16.6k", 3, NONE, NONE),
                new Aim(2, Metric.CONSUME_RATE, "Spool ≥ 3× RabbitMQ", "~16.6k", 3, NONE, NONE),
                new Aim(2, Metric.CPU_PER_MILLION, "reported", "", NONE, NONE, NONE),
                new Aim(3, Metric.PUBLISH_RATE, "Spool ≥ 3× RabbitMQ", "~13.9k", 3, NONE, NONE),
                new Aim(3, Metric.CONSUME_RATE, "Spool ≥ 3× RabbitMQ", "~13.9k", 3, NONE, NONE),
                new Aim(4, Metric.PUBLISH_RATE, "Spool ≥ 3× RabbitMQ", "~4.6k in", 3, NONE, NONE),
                new Aim(4, Metric.CONSUME_RATE, "Spool ≥ 3× RabbitMQ", "~18.3k out", 3, NONE, NONE),
                new Aim(5, Metric.PUBLISH_RATE, "Spool ≥ 3× RabbitMQ", "~13k", 3, NONE, NONE),
                new Aim(5, Metric.CONSUME_RATE, "Spool ≥ 3× RabbitMQ (drain)", "~24k", 3, NONE, NONE),
                new Aim(5, Metric.RSS_FULL, "Spool < 400 MB with 1M waiting", "3.2-3.9 GB", NONE, NONE, 400e6 / 1024 / 1024),
                new Aim(6, Metric.RSS_STEADY, "Spool ≤ ½ RabbitMQ", "", NONE, 0.5, NONE),
                new Aim(7, Metric.RSS_STEADY, "Spool ≤ ½ RabbitMQ", "", NONE, 0.5, NONE),
                new Aim(8, Metric.LATENCY_P99, "Spool ≤ RabbitMQ", "", NONE, 1.0, NONE));
    }

    /** "met", "not met", or "" when the aim only asks for the figure or a side is missing. */
    String verdict(double rabbit, double spool) {
        if (!Double.isNaN(spoolCeiling)) {
            return Double.isNaN(spool) ? "" : spool < spoolCeiling ? "met" : "not met";
        }
        if (Double.isNaN(minRatio) && Double.isNaN(maxRatio)) {
            return "";
        }
        if (Double.isNaN(rabbit) || Double.isNaN(spool) || rabbit == 0) {
            return "";
        }
        double ratio = spool / rabbit;
        boolean ok = (Double.isNaN(minRatio) || ratio >= minRatio) && (Double.isNaN(maxRatio) || ratio <= maxRatio);
        return ok ? "met" : "not met";
    }
}
