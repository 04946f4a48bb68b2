package io.spool.bench.compare;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * TCP connections established to a local port, counted from {@code /proc/net/tcp} and
 * {@code tcp6} (the broker's side of each connection: local port = the listening port). Works
 * the same for both brokers, needs no management API. Linux only.
 */
final class EstablishedConnections {

    private static final String ESTABLISHED = "01";

    private EstablishedConnections() {}

    static int to(int port) {
        return count(Path.of("/proc/net/tcp"), port) + count(Path.of("/proc/net/tcp6"), port);
    }

    private static int count(Path table, int port) {
        String portHex = String.format(":%04X", port);
        int n = 0;
        try (var lines = Files.lines(table)) {
            for (String line : (Iterable<String>) lines.skip(1)::iterator) {
                // "  sl  local_address rem_address   st ..."
                String[] f = line.trim().split("\\s+", 5);
                if (f.length >= 4 && f[1].endsWith(portHex) && f[3].equals(ESTABLISHED)) {
                    n++;
                }
            }
        } catch (IOException e) {
            return 0;
        }
        return n;
    }
}
