package io.spool.example.photo.work;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.spool.example.photo.TestMedia;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.zip.CRC32;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ImageModerationTest {

    @TempDir
    Path dir;

    private final BlockList blockList = new BlockList(Path.of("/nonexistent/block-list.txt"));

    @Test
    void aDecodableImageOfSaneSizeIsAcceptedWithItsFacts() throws IOException {
        Path file = write("photo.jpg", TestMedia.image(640, 480, "jpeg", 3));

        Verdict<ImageModeration.Decoded> verdict = new ImageModeration(blockList).check(file);

        assertThat(verdict).isInstanceOf(Verdict.Accepted.class);
        ImageModeration.Decoded decoded = ((Verdict.Accepted<ImageModeration.Decoded>) verdict).value();
        assertThat(decoded.facts()).isEqualTo(new ImageFacts(640, 480, "jpeg", Hashes.sha256(file)));
        assertThat(decoded.image().getWidth()).isEqualTo(640);
    }

    @Test
    void textIsNotAnImage() throws IOException {
        Path file = write("notes.png", "just some text, named like a photo".getBytes(StandardCharsets.UTF_8));
        assertThat(reason(file)).isEqualTo("not an image (PNG, JPEG, GIF, BMP or TIFF expected)");
    }

    @Test
    void tinyImagesAreRejected() throws IOException {
        assertThat(reason(write("dot.png", TestMedia.png(8, 8))))
                .isEqualTo("too small: 8x8 pixels (at least 16 on each side)");
    }

    @Test
    void aHeaderClaimingHugeDimensionsIsRejectedBeforeDecoding() throws IOException {
        // A decompression bomb in miniature: a 32x32 PNG whose header says 60000x60000.
        Path file = write("bomb.png", withPngSize(TestMedia.png(32, 32), 60_000, 60_000));
        assertThat(reason(file))
                .isEqualTo("too large: 60000x60000 pixels (at most 12000 on a side and 50 megapixels)");
    }

    @Test
    void aTruncatedImageIsDamaged() throws IOException {
        byte[] png = TestMedia.png(400, 300);
        Path file = write("cut.png", Arrays.copyOf(png, png.length / 2));
        assertThat(reason(file)).startsWith("damaged png image data: ");
    }

    @Test
    void aFileOnTheBlockListIsRejectedWhateverItIs() throws IOException {
        Path file = write("banned.png", TestMedia.png(100, 100));
        Path list = Files.writeString(dir.resolve("block-list.txt"), "# banned\n" + Hashes.sha256(file) + "\n");

        Verdict<ImageModeration.Decoded> verdict = new ImageModeration(new BlockList(list)).check(file);

        assertThat(verdict).isEqualTo(new Verdict.Rejected<>(
                "the file is on the block list (SHA-256 " + Hashes.sha256(file) + ")", Hashes.sha256(file)));
    }

    @Test
    void aMissingFileIsAnErrorToRetryNotARejection() {
        assertThatThrownBy(() -> new ImageModeration(blockList).check(dir.resolve("gone.png")))
                .isInstanceOf(NoSuchFileException.class);
    }

    private String reason(Path file) throws IOException {
        Verdict<ImageModeration.Decoded> verdict = new ImageModeration(blockList).check(file);
        assertThat(verdict).isInstanceOf(Verdict.Rejected.class);
        return ((Verdict.Rejected<ImageModeration.Decoded>) verdict).reason();
    }

    private Path write(String name, byte[] bytes) throws IOException {
        return Files.write(dir.resolve(name), bytes);
    }

    /** The PNG with its IHDR width and height replaced (and the chunk's CRC fixed to match). */
    private static byte[] withPngSize(byte[] png, int width, int height) {
        byte[] copy = png.clone();
        ByteBuffer b = ByteBuffer.wrap(copy);
        // Signature (8), IHDR length (4), "IHDR" (4), then width and height.
        b.putInt(16, width).putInt(20, height);
        CRC32 crc = new CRC32();
        crc.update(copy, 12, 4 + 13);
        b.putInt(12 + 4 + 13, (int) crc.getValue());
        return copy;
    }
}
