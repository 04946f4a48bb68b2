package io.spool.example.photo.work;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.Locale;
import javax.imageio.IIOException;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;

/**
 * Decides whether an uploaded file may become a published photo: it must not be on the block
 * list, it must be an image the JDK can decode (PNG, JPEG, GIF, BMP, TIFF, WBMP), and its
 * dimensions must be sane. Dimensions are read from the header before any pixel is decoded, so
 * a tiny file that claims to be 100,000 pixels wide (a decompression bomb) costs nothing.
 *
 * <p>Failures to read the file itself are thrown (they may pass: the job is retried); anything
 * wrong with its content is a {@link Verdict.Rejected}.
 */
public final class ImageModeration {

    static final int MIN_SIDE = 16;
    static final int MAX_SIDE = 12_000;
    static final long MAX_PIXELS = 50_000_000;

    private final BlockList blockList;

    public ImageModeration(BlockList blockList) {
        this.blockList = blockList;
    }

    /** The decoded image, with its facts, if it passes. */
    public record Decoded(BufferedImage image, ImageFacts facts) {
    }

    public Verdict<Decoded> check(Path file) throws IOException {
        String sha256 = Hashes.sha256(file);
        if (blockList.contains(sha256)) {
            return new Verdict.Rejected<>("the file is on the block list (SHA-256 " + sha256 + ")", sha256);
        }
        try (ImageInputStream in = ImageIO.createImageInputStream(file.toFile())) {
            Iterator<ImageReader> readers = in == null ? null : ImageIO.getImageReaders(in);
            if (readers == null || !readers.hasNext()) {
                return new Verdict.Rejected<>("not an image (PNG, JPEG, GIF, BMP or TIFF expected)", sha256);
            }
            ImageReader reader = readers.next();
            try {
                reader.setInput(in, true, true);
                String format = reader.getFormatName().toLowerCase(Locale.ROOT);
                int width;
                int height;
                try {
                    width = reader.getWidth(0);
                    height = reader.getHeight(0);
                } catch (IIOException e) {
                    return new Verdict.Rejected<>("damaged " + format + " header: " + e.getMessage(), sha256);
                }
                String insane = insaneDimensions(width, height);
                if (insane != null) {
                    return new Verdict.Rejected<>(insane, sha256);
                }
                BufferedImage image;
                try {
                    image = reader.read(0);
                } catch (IIOException | RuntimeException e) {
                    // ImageIO's decoders report bad data as IIOException and, now and then,
                    // as an unchecked exception from deep inside: both mean the content is bad.
                    return new Verdict.Rejected<>("damaged " + format + " image data: " + e.getMessage(), sha256);
                }
                return new Verdict.Accepted<>(new Decoded(image, new ImageFacts(width, height, format, sha256)));
            } finally {
                reader.dispose();
            }
        }
    }

    static String insaneDimensions(int width, int height) {
        if (width < MIN_SIDE || height < MIN_SIDE) {
            return "too small: " + width + "x" + height + " pixels (at least " + MIN_SIDE + " on each side)";
        }
        if (width > MAX_SIDE || height > MAX_SIDE || (long) width * height > MAX_PIXELS) {
            return "too large: " + width + "x" + height + " pixels (at most " + MAX_SIDE + " on a side and "
                    + MAX_PIXELS / 1_000_000 + " megapixels)";
        }
        return null;
    }
}
