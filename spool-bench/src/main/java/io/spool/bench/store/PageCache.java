package io.spool.bench.store;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * Drops one directory's files from the kernel's page cache, so that a restart has to read its
 * segments from the disk as after a reboot, without touching the cache of anything else on a
 * shared machine (no drop_caches). Each file is fsynced first, since dirty pages cannot be
 * dropped, then {@code dd iflag=nocache count=0} asks the kernel (posix_fadvise DONTNEED) to
 * let go of it. {@code fincore} then says how much stayed. Linux with coreutils and util-linux.
 */
public final class PageCache {

    private PageCache() {}

    /** Evicts every file under {@code dir}; returns the bytes still cached afterwards. */
    public static long evict(Path dir) throws IOException, InterruptedException {
        List<String> files = files(dir);
        if (files.isEmpty()) {
            return 0;
        }
        List<String> sync = new ArrayList<>(List.of("sync"));
        sync.addAll(files);
        run(sync);
        List<String> drop = new ArrayList<>(List.of("sh", "-c",
                "for f in \"$@\"; do dd if=\"$f\" iflag=nocache count=0 status=none || exit 1; done", "evict"));
        drop.addAll(files);
        run(drop);
        return cachedBytes(dir);
    }

    /** Bytes of the files under {@code dir} that are in the page cache now. */
    public static long cachedBytes(Path dir) throws IOException, InterruptedException {
        List<String> files = files(dir);
        if (files.isEmpty()) {
            return 0;
        }
        List<String> fincore = new ArrayList<>(List.of("fincore", "--bytes", "--noheadings", "--output", "RES"));
        fincore.addAll(files);
        long total = 0;
        for (String line : run(fincore).split("\n")) {
            if (!line.isBlank()) {
                total += Long.parseLong(line.trim());
            }
        }
        return total;
    }

    private static List<String> files(Path dir) throws IOException {
        try (Stream<Path> walk = Files.walk(dir)) {
            return walk.filter(Files::isRegularFile).map(Path::toString).toList();
        }
    }

    private static String run(List<String> command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (p.waitFor() != 0) {
            throw new IOException(command.get(0) + " failed: " + out);
        }
        return out;
    }
}
