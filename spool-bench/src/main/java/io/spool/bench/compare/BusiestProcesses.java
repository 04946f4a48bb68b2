package io.spool.bench.compare;

import io.spool.bench.store.ProcCpu;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Which processes used the CPU between two readings of every {@code /proc/<pid>/stat}: when the
 * machine is not quiet, the report says who was busy (on a shared machine, usually a colleague's
 * build or tests). Linux only.
 */
final class BusiestProcesses {

    private final Map<Long, Long> cpuAtStart;

    private BusiestProcesses(Map<Long, Long> cpuAtStart) {
        this.cpuAtStart = cpuAtStart;
    }

    static BusiestProcesses start() {
        return new BusiestProcesses(readAll());
    }

    /** Below this a process is not worth naming as the reason the machine is busy. */
    private static final double NOTABLE_CORES = 0.05;

    /**
     * The {@code top} busiest since {@link #start} that used at least {@value #NOTABLE_CORES}
     * cores, as "command (pid) 0.85 cores" over {@code seconds}. Empty when the CPU went to
     * processes this one cannot see (another container on the same kernel) or to short ones.
     */
    List<String> top(int top, double seconds) {
        Map<Long, Long> now = readAll();
        List<Map.Entry<Long, Long>> used = new ArrayList<>();
        now.forEach((pid, cpu) -> used.add(Map.entry(pid, cpu - cpuAtStart.getOrDefault(pid, cpu))));
        used.sort((a, b) -> Long.compare(b.getValue(), a.getValue()));
        List<String> out = new ArrayList<>();
        for (Map.Entry<Long, Long> e : used.subList(0, Math.min(top, used.size()))) {
            if (e.getValue() / 1e9 / seconds < NOTABLE_CORES) {
                break;
            }
            out.add(String.format(java.util.Locale.ROOT, "%s (%d) %.2f cores", command(e.getKey()), e.getKey(),
                    e.getValue() / 1e9 / seconds));
        }
        return out;
    }

    private static Map<Long, Long> readAll() {
        Map<Long, Long> cpu = new HashMap<>();
        try (Stream<Path> procs = Files.list(Path.of("/proc"))) {
            procs.map(p -> p.getFileName().toString()).filter(n -> n.chars().allMatch(Character::isDigit))
                    .forEach(n -> {
                        try {
                            cpu.put(Long.parseLong(n), ProcCpu.nanos(Long.parseLong(n)));
                        } catch (IOException | RuntimeException e) {
                            // ended meanwhile
                        }
                    });
        } catch (IOException e) {
            // not Linux
        }
        return cpu;
    }

    /** A short name: the command's program and its main class or script, if it has one. */
    private static String command(long pid) {
        return ProcessHandle.of(pid).flatMap(h -> h.info().commandLine()).map(BusiestProcesses::shorten).orElse("?");
    }

    static String shorten(String commandLine) {
        String[] words = commandLine.split("\\s+");
        String program = words[0].substring(words[0].lastIndexOf('/') + 1);
        for (int i = 1; i < words.length; i++) {
            String w = words[i];
            if (w.equals("-cp") || w.equals("-classpath") || w.equals("-jar")) {
                if (w.equals("-jar") && i + 1 < words.length) {
                    return program + " -jar " + words[i + 1].substring(words[i + 1].lastIndexOf('/') + 1);
                }
                i++;
                continue;
            }
            if (!w.startsWith("-")) {
                return program + " " + (w.length() > 60 ? w.substring(0, 60) + "..." : w);
            }
        }
        return program;
    }
}
