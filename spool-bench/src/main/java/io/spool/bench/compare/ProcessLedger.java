package io.spool.bench.compare;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * Writes down every process the comparison starts (brokers, beam.smp, epmd, PerfTest) as
 * {@code pid starttime} lines, starttime being field 22 of {@code /proc/<pid>/stat}. The JVM's
 * shutdown hooks stop these processes on Ctrl-C or SIGTERM; if this JVM is killed outright,
 * {@code spool-bench/compare} reads the ledger and stops whichever are still alive, the start
 * time guarding against a pid used again. The file comes from the system property
 * {@code spool.compare.ledger}; without it nothing is written.
 *
 * <p>Thread-safe.
 */
final class ProcessLedger {

    private static final String FILE = System.getProperty("spool.compare.ledger", "");

    private ProcessLedger() {}

    static synchronized void record(long pid) {
        if (FILE.isEmpty()) {
            return;
        }
        try {
            String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
            String[] f = stat.substring(stat.lastIndexOf(')') + 2).trim().split("\\s+");
            // fields after the command start at field 3, so field 22 is index 19
            Files.writeString(Path.of(FILE), pid + " " + f[19] + "\n", StandardCharsets.UTF_8,
                    StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        } catch (IOException | RuntimeException e) {
            // gone already, or not Linux: nothing to clean up after
        }
    }
}
