package io.spool.example.photo.web;

import io.spool.example.photo.Jobs;
import io.spool.worker.JobEvent;
import java.util.Locale;

/** A job event told in a few words for the page: "thumbnails: attempt 2 failed: ...". */
final class Activity {

    private Activity() {
    }

    static String describe(JobEvent e) {
        String what = switch (e.queue()) {
            case Jobs.PHOTOS -> "thumbnails";
            case Jobs.VIDEOS -> "video check";
            case Jobs.VIDEO_PARTS -> "video part " + e.jobId().substring(e.jobId().lastIndexOf('.') + 1);
            case Jobs.VIDEOS_LIVE -> "publishing";
            default -> e.queue();
        };
        return what + ": " + switch (e.type()) {
            case STARTED -> "attempt " + e.attempt() + " started";
            case SUCCEEDED -> "finished";
            case FAILED -> "attempt " + e.attempt() + " failed: " + error(e);
            case RETRYING -> String.format(Locale.ROOT, "retrying in %.1f s", e.retryDelayMillis() / 1000.0);
            case DEAD -> "gave up after " + e.attempt() + " attempts" + (e.error() == null ? "" : ": " + error(e));
        };
    }

    private static String error(JobEvent e) {
        if (e.error() == null) {
            return "unknown error";
        }
        String cls = e.error().exceptionClass();
        String simple = cls.substring(cls.lastIndexOf('.') + 1);
        return e.error().message() == null ? simple : simple + ": " + e.error().message();
    }
}
