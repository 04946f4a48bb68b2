package io.spool.example.photo.work;

import static org.assertj.core.api.Assertions.assertThat;

import io.spool.example.photo.TestMedia;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Debian's ffmpeg, which the build installs (.ci/install-test-tools) before the tests. */
class FfmpegTest {

    @TempDir
    Path dir;

    private final Ffmpeg ffmpeg = Ffmpeg.onPath().orElseThrow(
            () -> new AssertionError("ffmpeg is not on the PATH; .ci/install-test-tools installs it"));

    @Test
    void probesRendersAndMakesAPoster() throws Exception {
        Path clip = TestMedia.video(dir.resolve("clip.mp4"), 640, 480, 2);

        VideoFacts facts = ffmpeg.probe(clip, "hash");
        assertThat(facts.width()).isEqualTo(640);
        assertThat(facts.height()).isEqualTo(480);
        assertThat(facts.durationMs()).isBetween(1900L, 2100L);
        assertThat(facts.format()).contains("mp4").endsWith("/h264");

        ffmpeg.rendition(clip, dir.resolve("video-240.mp4"), 240);
        VideoFacts small = ffmpeg.probe(dir.resolve("video-240.mp4"), null);
        assertThat(small.width()).isEqualTo(320);
        assertThat(small.height()).isEqualTo(240);

        ffmpeg.poster(clip, dir.resolve("poster.jpg"), 480);
        assertThat(ImageIO.read(dir.resolve("poster.jpg").toFile()).getHeight()).isEqualTo(480);
        try (var files = Files.list(dir)) {
            assertThat(files.map(p -> p.getFileName().toString()))
                    .containsExactlyInAnyOrder("clip.mp4", "video-240.mp4", "poster.jpg");
        }
    }

    @Test
    void aVideoIsNeverEnlarged() throws Exception {
        Path clip = TestMedia.video(dir.resolve("clip.mp4"), 320, 180, 1);
        ffmpeg.rendition(clip, dir.resolve("video-480.mp4"), 480);
        assertThat(ffmpeg.probe(dir.resolve("video-480.mp4"), null).height()).isEqualTo(180);
    }

    @Test
    void somethingElseIsNoVideo() throws IOException, InterruptedException {
        Path text = Files.writeString(dir.resolve("clip.mp4"), "not a video");
        assertThat(ffmpeg.probe(text, "hash")).isNull();
    }

    @Test
    void withoutFfmpegOnThePathThereIsNone() {
        assertThat(Ffmpeg.onPath("/nonexistent:" + dir)).isEmpty();
    }
}
