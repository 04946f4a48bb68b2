package io.spool.example.photo.store;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * Where uploads and everything made from them live on disk: one directory per upload, named by
 * its id, holding the original and the thumbnails, renditions and poster made from it. The web
 * app and the workers share it (the demo runs them on one machine); jobs carry paths into it,
 * never file contents.
 */
public final class MediaStore {

    private static final Pattern ID = Pattern.compile("[0-9a-f]{16}");
    /** Names of files made from an upload: the only ones served back over HTTP. */
    private static final Pattern OUTPUT_NAME = Pattern.compile("[a-z0-9-]{1,40}\\.(jpg|mp4)");
    private static final Pattern EXTENSION = Pattern.compile("[a-z0-9]{1,8}");
    private static final SecureRandom RANDOM = new SecureRandom();

    private final Path root;

    public MediaStore(Path root) throws IOException {
        this.root = Files.createDirectories(root).toAbsolutePath().normalize();
    }

    public Path root() {
        return root;
    }

    /** A new upload id: 64 random bits in hex, unguessable enough that ids need no access check here. */
    public static String newId() {
        byte[] bytes = new byte[8];
        RANDOM.nextBytes(bytes);
        return HexFormat.of().formatHex(bytes);
    }

    public static boolean isId(String s) {
        return s != null && ID.matcher(s).matches();
    }

    public static boolean isOutputName(String s) {
        return s != null && OUTPUT_NAME.matcher(s).matches();
    }

    /** The upload's directory, created if missing. */
    public Path directory(String id) throws IOException {
        requireId(id);
        return Files.createDirectories(root.resolve(id));
    }

    /**
     * Where the original of an upload goes: {@code original.EXT}, keeping the extension of the
     * client's file name when it is a plain one (handy when browsing the directory; the workers
     * look at the content, not the name).
     */
    public Path original(String id, String clientFilename) throws IOException {
        return directory(id).resolve("original" + extensionOf(clientFilename));
    }

    /** A file made from the upload, such as {@code thumb-320.jpg}. */
    public Path output(String id, String name) throws IOException {
        if (!isOutputName(name)) {
            throw new IllegalArgumentException("not an output file name: " + name);
        }
        return directory(id).resolve(name);
    }

    static String extensionOf(String filename) {
        if (filename == null) {
            return "";
        }
        int dot = filename.lastIndexOf('.');
        if (dot < 0) {
            return "";
        }
        String ext = filename.substring(dot + 1).toLowerCase(Locale.ROOT);
        return EXTENSION.matcher(ext).matches() ? "." + ext : "";
    }

    private static void requireId(String id) {
        if (!isId(id)) {
            throw new IllegalArgumentException("not an upload id: " + id);
        }
    }
}
