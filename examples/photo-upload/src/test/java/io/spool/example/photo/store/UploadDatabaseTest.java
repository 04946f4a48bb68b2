package io.spool.example.photo.store;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.sql.SQLException;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class UploadDatabaseTest {

    @TempDir
    Path dir;

    private final Instant now = Instant.now().truncatedTo(ChronoUnit.MILLIS);

    @Test
    void anUploadIsProcessingUntilItsOutcomeIsRecorded() throws SQLException {
        try (UploadDatabase db = UploadDatabase.open(dir.resolve("uploads.db"))) {
            Upload upload = new Upload("00000000000000aa", Kind.PHOTO, "cat.png", 1234, now);
            db.insertUpload(upload);
            assertThat(db.find("00000000000000aa")).contains(new UploadRecord(upload, null, List.of()));
            assertThat(db.find("00000000000000aa").orElseThrow().status()).isEqualTo(Status.PROCESSING);
            assertThat(db.find("00000000000000bb")).isEmpty();
        }
    }

    @Test
    void theFirstOutcomeIsKeptWhenAJobRunsAgain() throws SQLException {
        // Two connections, as the web app and a worker process have.
        try (UploadDatabase web = UploadDatabase.open(dir.resolve("uploads.db"));
             UploadDatabase worker = UploadDatabase.open(dir.resolve("uploads.db"))) {
            web.insertUpload(new Upload("00000000000000aa", Kind.PHOTO, "cat.png", 1234, now));
            Output small = new Output("thumb-160.jpg", Output.THUMBNAIL, 160, 120, 5000);
            Outcome first = outcome(Status.DONE, 1);

            assertThat(worker.recordOutcome("00000000000000aa", first, List.of(small))).isTrue();
            Output rewritten = new Output("thumb-160.jpg", Output.THUMBNAIL, 160, 120, 5001);
            assertThat(worker.recordOutcome("00000000000000aa", outcome(Status.FAILED, 2), List.of(rewritten)))
                    .isFalse();

            UploadRecord r = web.find("00000000000000aa").orElseThrow();
            assertThat(r.outcome()).isEqualTo(first);
            assertThat(r.outputs()).containsExactly(rewritten);
        }
    }

    @Test
    void videoPartsAddOutputsOneByOne() throws SQLException {
        try (UploadDatabase db = UploadDatabase.open(dir.resolve("uploads.db"))) {
            db.insertUpload(new Upload("00000000000000cc", Kind.VIDEO, "clip.mp4", 99, now));
            db.recordOutput("00000000000000cc", new Output("video-480.mp4", Output.RENDITION, 640, 480, 10));
            db.recordOutput("00000000000000cc", new Output("poster.jpg", Output.POSTER, 640, 480, 3));
            db.recordOutput("00000000000000cc", new Output("video-240.mp4", Output.RENDITION, 320, 240, 5));
            db.recordOutput("00000000000000cc", new Output("video-240.mp4", Output.RENDITION, 320, 240, 5));

            assertThat(db.outputs("00000000000000cc")).extracting(Output::name)
                    .containsExactly("poster.jpg", "video-240.mp4", "video-480.mp4");
        }
    }

    private Outcome outcome(Status status, int attempt) {
        return new Outcome(status, status == Status.DONE ? null : "boom", 640, 480, "png", "ab".repeat(32), null,
                "00000000000000aa", attempt, "1@test", now);
    }
}
