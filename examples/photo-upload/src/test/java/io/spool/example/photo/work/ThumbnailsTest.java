package io.spool.example.photo.work;

import static org.assertj.core.api.Assertions.assertThat;

import io.spool.example.photo.TestMedia;
import io.spool.example.photo.store.Output;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ThumbnailsTest {

    @TempDir
    Path dir;

    @Test
    void threeJpegsFitTheirBoxesKeepingTheAspectRatio() throws IOException {
        BufferedImage photo = ImageIO.read(new ByteArrayInputStream(TestMedia.png(1200, 800)));

        List<Output> outputs = Thumbnails.write(photo, dir);

        assertThat(outputs).extracting(Output::name, Output::width, Output::height).containsExactly(
                org.assertj.core.groups.Tuple.tuple("thumb-160.jpg", 160, 107),
                org.assertj.core.groups.Tuple.tuple("thumb-320.jpg", 320, 213),
                org.assertj.core.groups.Tuple.tuple("thumb-640.jpg", 640, 427));
        for (Output o : outputs) {
            assertThat(o.role()).isEqualTo(Output.THUMBNAIL);
            BufferedImage jpeg = ImageIO.read(dir.resolve(o.name()).toFile());
            assertThat(jpeg.getWidth()).isEqualTo(o.width());
            assertThat(jpeg.getHeight()).isEqualTo(o.height());
            assertThat(o.bytes()).isEqualTo(Files.size(dir.resolve(o.name())));
        }
        try (var files = Files.list(dir)) {
            assertThat(files.map(p -> p.getFileName().toString()))
                    .as("no temporary files left behind")
                    .containsExactlyInAnyOrder("thumb-160.jpg", "thumb-320.jpg", "thumb-640.jpg");
        }
    }

    @Test
    void aSmallPhotoIsNeverEnlarged() throws IOException {
        BufferedImage photo = ImageIO.read(new ByteArrayInputStream(TestMedia.png(200, 100)));

        assertThat(Thumbnails.write(photo, dir)).extracting(Output::width, Output::height).containsExactly(
                org.assertj.core.groups.Tuple.tuple(160, 80),
                org.assertj.core.groups.Tuple.tuple(200, 100),
                org.assertj.core.groups.Tuple.tuple(200, 100));
    }
}
