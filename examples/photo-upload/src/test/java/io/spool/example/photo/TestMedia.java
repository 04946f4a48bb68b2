package io.spool.example.photo;

import java.awt.Color;
import java.awt.GradientPaint;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.imageio.ImageIO;

/** Generated test files: images drawn here, and videos made by ffmpeg's test source. */
public final class TestMedia {

    private TestMedia() {
    }

    /** A PNG (or "jpeg", "gif", "bmp") of a gradient with a few shapes, distinct for each seed. */
    public static byte[] image(int width, int height, String format, int seed) {
        BufferedImage image = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = image.createGraphics();
        g.setPaint(new GradientPaint(0, 0, new Color(seed * 37 % 256, 90, 200), width, height, Color.ORANGE));
        g.fillRect(0, 0, width, height);
        g.setColor(Color.WHITE);
        g.fillOval(width / 4, height / 4, width / 2, height / 2);
        g.setColor(new Color(seed * 91 % 256, 20, 60));
        g.drawString("spool #" + seed, width / 3, height / 2);
        g.dispose();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            if (!ImageIO.write(image, format, out)) {
                throw new IllegalArgumentException("no ImageIO writer for " + format);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    public static byte[] png(int width, int height) {
        return image(width, height, "png", 1);
    }

    /** A video of ffmpeg's test pattern with a tone, {@code seconds} long, as H.264/AAC in MP4. */
    public static Path video(Path file, int width, int height, int seconds) throws IOException, InterruptedException {
        List<String> command = List.of("ffmpeg", "-nostdin", "-y", "-v", "error",
                "-f", "lavfi", "-i", "testsrc=duration=" + seconds + ":size=" + width + "x" + height + ":rate=25",
                "-f", "lavfi", "-i", "sine=frequency=440:duration=" + seconds,
                "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-c:a", "aac", "-shortest",
                file.toString());
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(p.getInputStream().readAllBytes());
        if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IOException("ffmpeg could not make a test video: " + output);
        }
        return file;
    }
}
