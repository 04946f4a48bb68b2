package io.spool.example.photo.work;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.HashSet;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * SHA-256 hashes of files that must not be published: a text file with one hash in hex per line
 * ({@code #} starts a comment). Read again whenever the file changes, so a moderator can add a
 * hash while the workers run. A missing file is an empty list.
 *
 * <p>Thread-safe.
 */
public final class BlockList {

    private static final Pattern SHA256_HEX = Pattern.compile("[0-9a-f]{64}");

    private final Path file;
    private FileTime loadedVersion;
    private Set<String> hashes = Set.of();

    public BlockList(Path file) {
        this.file = file;
    }

    public Path file() {
        return file;
    }

    /** Whether the hash (hex) is listed, as of the file's current content. */
    public synchronized boolean contains(String sha256Hex) throws IOException {
        reloadIfChanged();
        return hashes.contains(sha256Hex.toLowerCase(Locale.ROOT));
    }

    private void reloadIfChanged() throws IOException {
        FileTime version;
        try {
            version = Files.getLastModifiedTime(file);
        } catch (NoSuchFileException e) {
            hashes = Set.of();
            loadedVersion = null;
            return;
        }
        if (version.equals(loadedVersion)) {
            return;
        }
        Set<String> loaded = new HashSet<>();
        int lineNumber = 0;
        for (String line : Files.readAllLines(file)) {
            lineNumber++;
            String entry = line.replaceFirst("#.*", "").trim().toLowerCase(Locale.ROOT);
            if (entry.isEmpty()) {
                continue;
            }
            if (!SHA256_HEX.matcher(entry).matches()) {
                // A typo must not silently let a blocked file through: refuse to moderate with it.
                throw new IOException(file + " line " + lineNumber + ": not a SHA-256 in hex: " + entry);
            }
            loaded.add(entry);
        }
        hashes = loaded;
        loadedVersion = version;
    }
}
