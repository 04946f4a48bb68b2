package io.spool.example.photo.work;

import io.spool.example.photo.Jobs;
import io.spool.example.photo.store.Output;
import io.spool.worker.JobContext;
import io.spool.worker.JobHandler;
import java.nio.file.Path;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A video job: moderation, then the fan-out. Each rendition and the poster is a child job that
 * any worker may run, in parallel; when all have succeeded the library publishes the
 * {@link Jobs.VideoLive} follow-up, which records the video as done. A re-run of this job spawns
 * the same child ids (the library derives them from this job's id).
 */
final class VideoHandler implements JobHandler<Jobs.Video> {

    private static final Logger log = LoggerFactory.getLogger(VideoHandler.class);
    /** Rendition heights: the usual small ladder; a smaller source is never enlarged. */
    static final int[] RENDITION_HEIGHTS = {240, 360, 480};
    static final int POSTER_HEIGHT = 480;

    private final VideoModeration moderation;
    private final Outcomes outcomes;
    private final Jobs jobs;

    VideoHandler(VideoModeration moderation, Outcomes outcomes, Jobs jobs) {
        this.moderation = moderation;
        this.outcomes = outcomes;
        this.jobs = jobs;
    }

    @Override
    public void handle(Jobs.Video job, JobContext ctx) throws Exception {
        if (outcomes.alreadyRecorded(job.uploadId(), ctx)) {
            return;
        }
        log.info("videos {}: attempt {} started{}", job.uploadId(), ctx.attempt(),
                ctx.redelivered() ? " (redelivered)" : "");
        try {
            switch (moderation.check(Path.of(job.path()))) {
                case Verdict.Rejected<VideoFacts> r -> outcomes.rejected(job.uploadId(), ctx, r.reason(), r.sha256());
                case Verdict.Accepted<VideoFacts> a -> {
                    for (int height : RENDITION_HEIGHTS) {
                        ctx.spawn(jobs.videoParts, new Jobs.VideoPart(job.uploadId(), job.path(),
                                "video-" + height + ".mp4", Output.RENDITION, height));
                    }
                    ctx.spawn(jobs.videoParts, new Jobs.VideoPart(job.uploadId(), job.path(), "poster.jpg",
                            Output.POSTER, POSTER_HEIGHT));
                    ctx.whenChildrenDone(jobs.videosLive, new Jobs.VideoLive(job.uploadId(), a.value()));
                    log.info("videos {}: {}x{} {} ms, {} renditions and a poster queued", job.uploadId(),
                            a.value().width(), a.value().height(), a.value().durationMs(), RENDITION_HEIGHTS.length);
                }
            }
        } catch (Exception e) {
            outcomes.failedIfLastAttempt(job.uploadId(), ctx, "checking the video", e);
            throw e;
        }
    }
}
