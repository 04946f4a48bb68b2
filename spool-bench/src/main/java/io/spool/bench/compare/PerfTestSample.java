package io.spool.bench.compare;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One of PerfTest's once-a-second lines, e.g.
 * {@code id: test-1, time 5.001 s, sent: 8262 msg/s, confirmed: 8193 msg/s, nacked: 0 msg/s,
 * received: 8100 msg/s, min/median/75th/95th/99th consumer latency: 755/5134/11539/22210/148933 µs}.
 * Rates are over the interval since the previous line; a missing figure is -1.
 *
 * @param seconds         PerfTest's clock: seconds since its producers and consumers started
 * @param sent            messages published per second
 * @param received        messages delivered per second (every consumer together)
 * @param latencyMedianUs consumer latency median in the interval, microseconds
 * @param latencyP99Us    consumer latency 99th percentile in the interval, microseconds
 */
record PerfTestSample(double seconds, long sent, long received, long latencyMedianUs, long latencyP99Us) {

    private static final Pattern TIME = Pattern.compile("time:? (\\d+(?:\\.\\d+)?) ?s");
    private static final Pattern SENT = Pattern.compile("sent: (\\d+) msg/s");
    private static final Pattern RECEIVED = Pattern.compile("received: (\\d+) msg/s");
    private static final Pattern CONSUMER_LATENCY = Pattern.compile(
            "99th consumer latency: (\\d+)/(\\d+)/(\\d+)/(\\d+)/(\\d+)");

    /** The sample on a line, or null if the line is not one. */
    static PerfTestSample parse(String line) {
        Matcher time = TIME.matcher(line);
        if (!line.contains("msg/s") || !time.find()) {
            return null;
        }
        long median = -1;
        long p99 = -1;
        Matcher lat = CONSUMER_LATENCY.matcher(line);
        if (lat.find()) {
            median = Long.parseLong(lat.group(2));
            p99 = Long.parseLong(lat.group(5));
        }
        return new PerfTestSample(Double.parseDouble(time.group(1)), number(SENT, line), number(RECEIVED, line),
                median, p99);
    }

    private static long number(Pattern p, String line) {
        Matcher m = p.matcher(line);
        return m.find() ? Long.parseLong(m.group(1)) : -1;
    }
}
