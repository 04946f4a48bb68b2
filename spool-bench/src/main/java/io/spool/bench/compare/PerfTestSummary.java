package io.spool.bench.compare;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The averages PerfTest prints when it stops ({@code sending rate avg: N msg/s}, {@code receiving
 * rate avg: N msg/s}) and why it stopped ({@code test stopped (Producer reached message limit)}).
 * Missing figures are -1.
 */
final class PerfTestSummary {

    private static final Pattern SENDING = Pattern.compile("sending rate avg: (\\d+) msg/s");
    private static final Pattern RECEIVING = Pattern.compile("receiving rate avg: (\\d+) msg/s");
    private static final Pattern STOPPED = Pattern.compile("test stopped \\((.*)\\)");

    private volatile long sendingRate = -1;
    private volatile long receivingRate = -1;
    private volatile String stopReason;

    void offer(String line) {
        Matcher m = SENDING.matcher(line);
        if (m.find()) {
            sendingRate = Long.parseLong(m.group(1));
        }
        m = RECEIVING.matcher(line);
        if (m.find()) {
            receivingRate = Long.parseLong(m.group(1));
        }
        m = STOPPED.matcher(line);
        if (m.find()) {
            stopReason = m.group(1);
        }
    }

    long sendingRate() {
        return sendingRate;
    }

    long receivingRate() {
        return receivingRate;
    }

    /** PerfTest's own words for why it stopped, or null if it never said. */
    String stopReason() {
        return stopReason;
    }
}
