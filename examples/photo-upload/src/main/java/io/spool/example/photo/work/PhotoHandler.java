package io.spool.example.photo.work;

import io.spool.example.photo.Jobs;
import io.spool.example.photo.store.Output;
import io.spool.worker.JobContext;
import io.spool.worker.JobHandler;
import java.nio.file.Path;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A photo job: moderation, then three thumbnails, then the outcome with the photo's metadata.
 * Idempotent: thumbnails are rewritten whole, the outcome is recorded once (see
 * {@link io.spool.example.photo.store.UploadDatabase}). A file that cannot be read fails the
 * attempt, and the library retries it; a file moderation turns down is recorded as rejected.
 */
final class PhotoHandler implements JobHandler<Jobs.Photo> {

    private static final Logger log = LoggerFactory.getLogger(PhotoHandler.class);

    private final ImageModeration moderation;
    private final Outcomes outcomes;

    PhotoHandler(ImageModeration moderation, Outcomes outcomes) {
        this.moderation = moderation;
        this.outcomes = outcomes;
    }

    @Override
    public void handle(Jobs.Photo job, JobContext ctx) throws Exception {
        if (outcomes.alreadyRecorded(job.uploadId(), ctx)) {
            return;
        }
        log.info("photos {}: attempt {} started{}", job.uploadId(), ctx.attempt(),
                ctx.redelivered() ? " (redelivered)" : "");
        long start = System.nanoTime();
        try {
            Path original = Path.of(job.path());
            switch (moderation.check(original)) {
                case Verdict.Rejected<ImageModeration.Decoded> r ->
                        outcomes.rejected(job.uploadId(), ctx, r.reason(), r.sha256());
                case Verdict.Accepted<ImageModeration.Decoded> a -> {
                    ImageFacts facts = a.value().facts();
                    List<Output> thumbnails = Thumbnails.write(a.value().image(), original.getParent());
                    outcomes.done(job.uploadId(), ctx, facts.width(), facts.height(), facts.format(), facts.sha256(),
                            null, thumbnails);
                    log.info("photos {}: {}x{} {} in {} ms", job.uploadId(), facts.width(), facts.height(),
                            facts.format(), (System.nanoTime() - start) / 1_000_000);
                }
            }
        } catch (Exception e) {
            outcomes.failedIfLastAttempt(job.uploadId(), ctx, "making thumbnails", e);
            throw e;
        }
    }
}
