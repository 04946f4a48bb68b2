package io.spool.example.photo.work;

import io.spool.example.photo.store.Output;
import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import javax.imageio.IIOImage;
import javax.imageio.ImageIO;
import javax.imageio.ImageWriteParam;
import javax.imageio.ImageWriter;
import javax.imageio.stream.ImageOutputStream;

/**
 * Makes the three thumbnails of a photo as JPEG files, fitting its longest side into 160, 320
 * and 640 pixels (never enlarging). Each is scaled from the next larger one in halving steps of
 * bilinear filtering: about as good as area averaging and many times faster.
 */
public final class Thumbnails {

    /** Longest side of each thumbnail, largest first (each is made from the one before). */
    public static final int[] SIZES = {640, 320, 160};
    private static final float JPEG_QUALITY = 0.85f;

    private Thumbnails() {
    }

    public static String fileName(int size) {
        return "thumb-" + size + ".jpg";
    }

    /** Writes the thumbnails into {@code dir}; returns them smallest first. */
    public static List<Output> write(BufferedImage original, Path dir) throws IOException {
        List<Output> outputs = new ArrayList<>();
        BufferedImage source = opaque(original);
        for (int size : SIZES) {
            // Sizes from the original's, so rounding does not add up from one thumbnail to the next.
            double scale = Math.min(1.0, (double) size / Math.max(original.getWidth(), original.getHeight()));
            int w = Math.max(1, (int) Math.round(original.getWidth() * scale));
            int h = Math.max(1, (int) Math.round(original.getHeight() * scale));
            source = scale(source, w, h);
            Path file = dir.resolve(fileName(size));
            writeJpeg(source, file);
            outputs.add(0, new Output(file.getFileName().toString(), Output.THUMBNAIL, w, h, Files.size(file)));
        }
        return outputs;
    }

    /** JPEG has no alpha: transparent areas become white, as a browser would show them on this page. */
    private static BufferedImage opaque(BufferedImage image) {
        if (image.getType() == BufferedImage.TYPE_INT_RGB) {
            return image;
        }
        BufferedImage rgb = new BufferedImage(image.getWidth(), image.getHeight(), BufferedImage.TYPE_INT_RGB);
        Graphics2D g = rgb.createGraphics();
        try {
            g.setColor(Color.WHITE);
            g.fillRect(0, 0, rgb.getWidth(), rgb.getHeight());
            g.drawImage(image, 0, 0, null);
        } finally {
            g.dispose();
        }
        return rgb;
    }

    private static BufferedImage scale(BufferedImage image, int targetWidth, int targetHeight) {
        BufferedImage current = image;
        while (current.getWidth() != targetWidth || current.getHeight() != targetHeight) {
            // Halve until within a factor of two of the target, then one last step to it exactly.
            int w = Math.max(targetWidth, current.getWidth() / 2);
            int h = Math.max(targetHeight, current.getHeight() / 2);
            BufferedImage next = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
            Graphics2D g = next.createGraphics();
            try {
                g.setRenderingHint(RenderingHints.KEY_INTERPOLATION, RenderingHints.VALUE_INTERPOLATION_BILINEAR);
                g.drawImage(current, 0, 0, w, h, null);
            } finally {
                g.dispose();
            }
            current = next;
        }
        return current;
    }

    /** Written beside the target and moved over it: the web app never serves half a file. */
    private static void writeJpeg(BufferedImage image, Path file) throws IOException {
        Path tmp = Files.createTempFile(file.getParent(), file.getFileName().toString(), ".tmp");
        try {
            ImageWriter writer = ImageIO.getImageWritersByFormatName("jpeg").next();
            try (OutputStream os = Files.newOutputStream(tmp);
                 ImageOutputStream out = ImageIO.createImageOutputStream(os)) {
                ImageWriteParam param = writer.getDefaultWriteParam();
                param.setCompressionMode(ImageWriteParam.MODE_EXPLICIT);
                param.setCompressionQuality(JPEG_QUALITY);
                writer.setOutput(out);
                writer.write(null, new IIOImage(image, null, null), param);
            } finally {
                writer.dispose();
            }
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }
}
