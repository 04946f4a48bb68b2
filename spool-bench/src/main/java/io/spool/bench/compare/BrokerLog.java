package io.spool.bench.compare;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;

/** Picks warning and error lines out of a broker's log, skipping the lines of its start-up. */
final class BrokerLog {

    private static final int KEEP = 20;

    private BrokerLog() {}

    /**
     * Problem lines after the first line matching {@code readyLine}; at most {@value #KEEP}, then
     * a count of the rest.
     */
    static List<String> problems(Path log, Predicate<String> readyLine, Predicate<String> problem) throws IOException {
        List<String> out = new ArrayList<>();
        if (!Files.exists(log)) {
            return out;
        }
        boolean ready = false;
        int more = 0;
        for (String line : Files.readAllLines(log, StandardCharsets.UTF_8)) {
            if (!ready) {
                ready = readyLine.test(line);
                continue;
            }
            if (problem.test(line)) {
                if (out.size() < KEEP) {
                    out.add(line.strip());
                } else {
                    more++;
                }
            }
        }
        if (more > 0) {
            out.add("... and " + more + " more");
        }
        return out;
    }
}
