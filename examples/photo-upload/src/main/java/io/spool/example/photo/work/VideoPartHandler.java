package io.spool.example.photo.work;

import io.spool.example.photo.Jobs;
import io.spool.example.photo.store.Output;
import io.spool.example.photo.store.UploadDatabase;
import io.spool.worker.JobContext;
import io.spool.worker.JobHandler;
import java.nio.file.Files;
import java.nio.file.Path;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One child job of a video: a rendition or the poster, made with ffmpeg and recorded as an
 * output of the upload (upserted: a re-run overwrites the same file and row).
 */
final class VideoPartHandler implements JobHandler<Jobs.VideoPart> {

    private static final Logger log = LoggerFactory.getLogger(VideoPartHandler.class);

    private final Ffmpeg ffmpeg;
    private final UploadDatabase db;
    private final Outcomes outcomes;

    VideoPartHandler(Ffmpeg ffmpeg, UploadDatabase db, Outcomes outcomes) {
        this.ffmpeg = ffmpeg;
        this.db = db;
        this.outcomes = outcomes;
    }

    @Override
    public void handle(Jobs.VideoPart part, JobContext ctx) throws Exception {
        log.info("video-parts {}: {} attempt {} started", part.uploadId(), part.output(), ctx.attempt());
        long start = System.nanoTime();
        try {
            Path input = Path.of(part.path());
            Path output = input.resolveSibling(part.output());
            if (part.role().equals(Output.POSTER)) {
                ffmpeg.poster(input, output, part.height());
            } else {
                ffmpeg.rendition(input, output, part.height());
            }
            VideoFacts made = ffmpeg.probe(output, null);
            if (made == null) {
                throw new java.io.IOException("ffmpeg made " + part.output() + " but ffprobe cannot read it");
            }
            db.recordOutput(part.uploadId(), new Output(part.output(), part.role(), made.width(), made.height(),
                    Files.size(output)));
            log.info("video-parts {}: {} {}x{} in {} ms", part.uploadId(), part.output(), made.width(), made.height(),
                    (System.nanoTime() - start) / 1_000_000);
        } catch (Exception e) {
            outcomes.failedIfLastAttempt(part.uploadId(), ctx, "making " + part.output(), e);
            throw e;
        }
    }
}
