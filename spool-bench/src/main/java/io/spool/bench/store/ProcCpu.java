package io.spool.bench.store;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.LongSupplier;

/**
 * CPU time a process has used so far (user + system, all threads), from {@code /proc/<pid>/stat}.
 * On a shared machine a rate moves with the neighbours' load; the broker's CPU time per message
 * moves much less, so the report gives both. Linux only.
 */
public final class ProcCpu {

    private static final long TICKS_PER_SECOND = clockTicks();

    private ProcCpu() {}

    /** Clock ticks per second of the counters in /proc (getconf CLK_TCK, usually 100). */
    public static long ticksPerSecond() {
        return TICKS_PER_SECOND;
    }

    public static long nanos(long pid) throws IOException {
        return parseNanos(Files.readString(Path.of("/proc", Long.toString(pid), "stat")));
    }

    /**
     * CPU time of a process plus that of its children it has waited for: a load tool run to its
     * end and reaped counts as this process's, so a window spanning it is not blamed on others.
     */
    public static long nanosWithReapedChildren(long pid) throws IOException {
        // Fields 14-17: utime, stime, cutime, cstime.
        String[] f = fields(Files.readString(Path.of("/proc", Long.toString(pid), "stat")));
        return toNanos(Long.parseLong(f[11]) + Long.parseLong(f[12]) + Long.parseLong(f[13]) + Long.parseLong(f[14]));
    }

    /** A reader of a process's CPU time for {@link SliceClock}; -1 once the process is gone. */
    static LongSupplier of(long pid) {
        return () -> {
            try {
                return nanos(pid);
            } catch (IOException e) {
                return -1;
            }
        };
    }

    /** Fields 14 and 15 (utime, stime). */
    static long parseNanos(String stat) {
        String[] f = fields(stat);
        return toNanos(Long.parseLong(f[11]) + Long.parseLong(f[12]));
    }

    private static long toNanos(long ticks) {
        return ticks * 1_000_000_000L / TICKS_PER_SECOND;
    }

    /** The fields after the command name (field 3 on), which may itself hold spaces. */
    private static String[] fields(String stat) {
        return stat.substring(stat.lastIndexOf(')') + 2).trim().split("\\s+");
    }

    private static long clockTicks() {
        try {
            Process p = new ProcessBuilder("getconf", "CLK_TCK").redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
            return p.waitFor() == 0 ? Long.parseLong(out) : 100;
        } catch (IOException | NumberFormatException e) {
            return 100;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return 100;
        }
    }
}
