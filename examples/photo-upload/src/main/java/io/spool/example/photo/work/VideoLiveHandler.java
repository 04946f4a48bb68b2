package io.spool.example.photo.work;

import io.spool.example.photo.Jobs;
import io.spool.worker.JobContext;
import io.spool.worker.JobHandler;
import java.util.List;

/**
 * The join of a video's fan-out: runs once every rendition and the poster are done, and records
 * the video as done, which the page shows as live.
 */
final class VideoLiveHandler implements JobHandler<Jobs.VideoLive> {

    private final Outcomes outcomes;

    VideoLiveHandler(Outcomes outcomes) {
        this.outcomes = outcomes;
    }

    @Override
    public void handle(Jobs.VideoLive job, JobContext ctx) throws Exception {
        VideoFacts f = job.facts();
        outcomes.done(job.uploadId(), ctx, f.width(), f.height(), f.format(), f.sha256(), f.durationMs(), List.of());
    }
}
