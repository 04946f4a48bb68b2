package io.spool.bench.compare;

/**
 * A figure measured in a run, as the report names it. {@code higherIsBetter} says which way the
 * Spool / RabbitMQ ratio should point; {@code ratio} whether a ratio means anything at all.
 */
enum Metric {
    PUBLISH_RATE("publish msg/s", "%,.0f", true, true),
    CONSUME_RATE("consume msg/s", "%,.0f", true, true),
    LATENCY_P50("latency p50 ms", "%.2f", false, true),
    LATENCY_P99("latency p99 ms", "%.2f", false, true),
    LATENCY_P999("latency p99.9 ms", "%.2f", false, true),
    BROKER_CPU("broker CPU, cores", "%.2f", false, true),
    CPU_PER_MILLION("broker CPU-s per M msgs", "%.1f", false, true),
    PEAK_RSS("broker peak RSS MiB", "%,.0f", false, true),
    RSS_FULL("broker RSS at full depth MiB", "%,.0f", false, true),
    RSS_STEADY("broker RSS MiB (steady)", "%,.0f", false, true),
    RSS_PER_CONNECTION("RSS per connection KiB", "%.1f", false, true),
    DISK("disk at full depth MiB", "%,.0f", false, true),
    CONNECTIONS("connections open", "%,.0f", true, false),
    SETUP_SECONDS("seconds to connect all", "%.1f", false, true),
    OTHERS_LOAD("others' CPU meanwhile, cores", "%.2f", false, false);

    private final String label;
    private final String format;
    private final boolean higherIsBetter;
    private final boolean ratio;

    Metric(String label, String format, boolean higherIsBetter, boolean ratio) {
        this.label = label;
        this.format = format;
        this.higherIsBetter = higherIsBetter;
        this.ratio = ratio;
    }

    String label() {
        return label;
    }

    String format(double v) {
        return Double.isNaN(v) ? "n/a" : String.format(java.util.Locale.ROOT, format, v);
    }

    boolean higherIsBetter() {
        return higherIsBetter;
    }

    boolean hasRatio() {
        return ratio;
    }
}
