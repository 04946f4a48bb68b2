package io.spool.bench.store;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Heap peaks read from a unified GC log ({@code -Xlog:gc}), whose pause lines say
 * {@code 120M->18M(256M)}: heap used before the pause, after it, and committed.
 *
 * <p>{@code maxAfterKib} is the honest "peak heap": the most the heap still held right after a
 * collection, i.e. an upper bound on what the broker really kept reachable. {@code maxBeforeKib}
 * is the most the heap held at all, garbage included; it tends to sit near the heap limit
 * whatever the broker does, because collectors let garbage pile up until a threshold.
 *
 * @param pauses how many pause lines were read; with none the peaks mean nothing
 */
record GcLogPeaks(long maxBeforeKib, long maxAfterKib, long maxCommittedKib, int pauses) {

    private static final Pattern PAUSE = Pattern.compile(
            "(\\d+)([KMG])->(\\d+)([KMG])\\((\\d+)([KMG])\\)");

    static GcLogPeaks read(Path gcLog) throws IOException {
        return parse(Files.exists(gcLog) ? Files.readString(gcLog) : "");
    }

    static GcLogPeaks parse(String log) {
        long before = 0;
        long after = 0;
        long committed = 0;
        int pauses = 0;
        Matcher m = PAUSE.matcher(log);
        while (m.find()) {
            before = Math.max(before, kib(m.group(1), m.group(2)));
            after = Math.max(after, kib(m.group(3), m.group(4)));
            committed = Math.max(committed, kib(m.group(5), m.group(6)));
            pauses++;
        }
        return new GcLogPeaks(before, after, committed, pauses);
    }

    private static long kib(String number, String unit) {
        long n = Long.parseLong(number);
        return switch (unit) {
            case "K" -> n;
            case "M" -> n * 1024;
            default -> n * 1024 * 1024;
        };
    }
}
