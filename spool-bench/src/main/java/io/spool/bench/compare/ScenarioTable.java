package io.spool.bench.compare;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads the scenario table that {@code spool-bench/compare} keeps in one place: one line per
 * PerfTest invocation, {@code id | name | kind | seconds | quick | PerfTest flags}; lines of a
 * scenario with several phases share its id. Blank lines and lines starting with {@code #} are
 * skipped. Flags are split on whitespace (no quoting).
 *
 * <p>The {@code quick} column is what {@code --quick} changes, next to the full figures so the
 * two cannot drift apart unseen: the seconds, then flag / value pairs that replace the values of
 * the same flags (fewer messages, queues or connections). The rest of the line stays as it is.
 */
final class ScenarioTable {

    private ScenarioTable() {}

    static List<Scenario> read(Path file, boolean quick) throws IOException {
        return parse(Files.readAllLines(file), quick);
    }

    static List<Scenario> parse(List<String> lines, boolean quick) {
        Map<Integer, String> names = new LinkedHashMap<>();
        Map<Integer, List<ScenarioPhase>> phases = new LinkedHashMap<>();
        for (String raw : lines) {
            String line = raw.strip();
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            String[] cols = line.split("\\|", 6);
            if (cols.length != 6) {
                throw new IllegalArgumentException(
                        "scenario line needs 6 columns (id | name | kind | seconds | quick | flags): " + line);
            }
            int id = Integer.parseInt(cols[0].strip());
            String name = cols[1].strip();
            String previous = names.putIfAbsent(id, name);
            if (previous != null && !previous.equals(name)) {
                throw new IllegalArgumentException("scenario " + id + " is named both " + previous + " and " + name);
            }
            ScenarioPhase phase = new ScenarioPhase(PhaseKind.parse(cols[2]), Integer.parseInt(cols[3].strip()),
                    words(cols[5]));
            if (quick) {
                phase = shrunk(phase, words(cols[4]), line);
            }
            phases.computeIfAbsent(id, k -> new ArrayList<>()).add(phase);
        }
        List<Scenario> out = new ArrayList<>();
        names.forEach((id, name) -> out.add(new Scenario(id, name, phases.get(id))));
        return out;
    }

    /** The phase as the quick column says: its seconds, and the values of the flags it names. */
    private static ScenarioPhase shrunk(ScenarioPhase phase, List<String> quick, String line) {
        if (quick.isEmpty() || quick.size() % 2 != 1) {
            throw new IllegalArgumentException("quick column needs the seconds, then flag / value pairs: " + line);
        }
        List<String> flags = new ArrayList<>(phase.flags());
        for (int i = 1; i < quick.size(); i += 2) {
            int at = flags.indexOf(quick.get(i));
            if (at < 0 || at + 1 >= flags.size()) {
                throw new IllegalArgumentException("quick column changes " + quick.get(i)
                        + ", which the flags do not give: " + line);
            }
            flags.set(at + 1, quick.get(i + 1));
        }
        return new ScenarioPhase(phase.kind(), Integer.parseInt(quick.get(0)), flags);
    }

    private static List<String> words(String column) {
        return Arrays.stream(column.strip().split("\\s+")).filter(w -> !w.isEmpty()).toList();
    }
}
