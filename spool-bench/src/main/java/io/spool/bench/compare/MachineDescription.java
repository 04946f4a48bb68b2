package io.spool.bench.compare;

import io.spool.bench.store.HostInfo;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** The machine a comparison ran on, in one line for the report. */
final class MachineDescription {

    private MachineDescription() {}

    static String describe() {
        return cpuModel() + ", " + HostInfo.cores() + " cores, " + HostInfo.memory() + " RAM, Linux " + kernel();
    }

    private static String cpuModel() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
                if (line.startsWith("model name")) {
                    return line.substring(line.indexOf(':') + 1).trim();
                }
            }
        } catch (IOException e) {
            // not Linux: say so below
        }
        return "unknown CPU";
    }

    private static String kernel() {
        try {
            return Files.readString(Path.of("/proc/sys/kernel/osrelease")).trim();
        } catch (IOException e) {
            return System.getProperty("os.version");
        }
    }
}
