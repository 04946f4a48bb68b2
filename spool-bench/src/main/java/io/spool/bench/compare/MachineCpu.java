package io.spool.bench.compare;

import io.spool.bench.store.ProcCpu;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * CPU time the whole machine has spent busy (every core; user, nice, system, irq, softirq and
 * steal: everything but idle and iowait), from the first line of {@code /proc/stat}. Set
 * against the time of the processes a run started, it tells how much other work shared the
 * machine during the measurement. Linux only.
 */
final class MachineCpu {

    private MachineCpu() {}

    static long busyNanos() {
        try {
            return parseBusyNanos(Files.readAllLines(Path.of("/proc/stat")).get(0));
        } catch (IOException e) {
            return -1;
        }
    }

    /** "cpu  user nice system idle iowait irq softirq steal ..." */
    static long parseBusyNanos(String cpuLine) {
        String[] f = cpuLine.trim().split("\\s+");
        long ticks = 0;
        int[] busy = {1, 2, 3, 6, 7, 8};
        for (int i : busy) {
            if (i < f.length) {
                ticks += Long.parseLong(f[i]);
            }
        }
        return ticks * 1_000_000_000L / ProcCpu.ticksPerSecond();
    }
}
