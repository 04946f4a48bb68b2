package io.spool.bench.store;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/**
 * Bytes a directory takes on disk, by {@code du}: allocated blocks rather than file lengths,
 * because preallocation or sparse files would make lengths lie about the disk.
 */
public final class DiskUsage {

    private DiskUsage() {}

    public static long bytes(Path dir) throws IOException, InterruptedException {
        Process du = new ProcessBuilder("du", "-s", "-B1", dir.toString()).redirectErrorStream(true).start();
        String out = new String(du.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
        if (du.waitFor() != 0) {
            throw new IOException("du failed: " + out);
        }
        return Long.parseLong(out.split("\\s+")[0]);
    }
}
