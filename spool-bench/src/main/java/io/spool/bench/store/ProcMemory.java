package io.spool.bench.store;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A process's resident memory from {@code /proc/<pid>/status}: VmRSS now, and VmHWM, the
 * kernel's own high-water mark of it since the process started, so no sampling can miss a
 * peak. Linux only.
 */
public record ProcMemory(long rssKib, long peakRssKib) {

    public static ProcMemory of(long pid) throws IOException {
        return parse(Files.readString(Path.of("/proc", Long.toString(pid), "status")));
    }

    static ProcMemory parse(String status) {
        long rss = -1;
        long hwm = -1;
        for (String line : status.split("\n")) {
            if (line.startsWith("VmRSS:")) {
                rss = kib(line);
            } else if (line.startsWith("VmHWM:")) {
                hwm = kib(line);
            }
        }
        return new ProcMemory(rss, hwm);
    }

    /** "VmHWM:	  123456 kB" -> 123456 */
    private static long kib(String line) {
        String v = line.substring(line.indexOf(':') + 1).trim();
        return Long.parseLong(v.substring(0, v.indexOf(' ')));
    }
}
