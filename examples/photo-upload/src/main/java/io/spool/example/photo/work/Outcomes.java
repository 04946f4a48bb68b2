package io.spool.example.photo.work;

import io.spool.example.photo.store.Outcome;
import io.spool.example.photo.store.Output;
import io.spool.example.photo.store.Status;
import io.spool.example.photo.store.UploadDatabase;
import io.spool.worker.JobContext;
import java.sql.SQLException;
import java.time.Instant;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Records outcomes for the handlers, with the job and worker that recorded them, and logs
 * whether this run was the one that did (a redelivered job finds it already there).
 */
final class Outcomes {

    private static final Logger log = LoggerFactory.getLogger(Outcomes.class);
    /** This worker process, as "pid@host", for the record. */
    static final String WORKER = ProcessHandle.current().pid() + "@" + hostName();

    private final UploadDatabase db;

    Outcomes(UploadDatabase db) {
        this.db = db;
    }

    /** True when an earlier run already recorded the upload's outcome: nothing is left to do. */
    boolean alreadyRecorded(String uploadId, JobContext ctx) throws SQLException {
        boolean recorded = db.find(uploadId).map(r -> r.outcome() != null).orElse(false);
        if (recorded) {
            log.info("{} {}: outcome already recorded, attempt {} has nothing to do", ctx.queue(), uploadId,
                    ctx.attempt());
        }
        return recorded;
    }

    void done(String uploadId, JobContext ctx, Integer width, Integer height, String format, String sha256,
              Long durationMs, List<Output> outputs) throws SQLException {
        record(uploadId, ctx, new Outcome(Status.DONE, null, width, height, format, sha256, durationMs,
                ctx.jobId(), ctx.attempt(), WORKER, Instant.now()), outputs);
    }

    void rejected(String uploadId, JobContext ctx, String reason, String sha256) throws SQLException {
        record(uploadId, ctx, new Outcome(Status.REJECTED, reason, null, null, null, sha256, null,
                ctx.jobId(), ctx.attempt(), WORKER, Instant.now()), List.of());
    }

    /**
     * Called from a handler's last attempt, before its exception goes on to dead-letter the job:
     * the user is told "failed" with the reason rather than "processing" for ever.
     */
    void failedIfLastAttempt(String uploadId, JobContext ctx, String what, Exception e) {
        if (!ctx.isLastAttempt()) {
            return;
        }
        try {
            record(uploadId, ctx, new Outcome(Status.FAILED, what + " failed after " + ctx.attempt() + " attempts: "
                    + e, null, null, null, null, null, ctx.jobId(), ctx.attempt(), WORKER, Instant.now()), List.of());
        } catch (SQLException | RuntimeException dbError) {
            e.addSuppressed(dbError);
        }
    }

    private void record(String uploadId, JobContext ctx, Outcome outcome, List<Output> outputs) throws SQLException {
        boolean first = db.recordOutcome(uploadId, outcome, outputs);
        if (first) {
            log.info("{} {}: {}{} (attempt {})", ctx.queue(), uploadId, outcome.status().json(),
                    outcome.reason() == null ? "" : ": " + outcome.reason(), ctx.attempt());
        } else {
            log.info("{} {}: outcome was recorded by an earlier run; attempt {} leaves it", ctx.queue(), uploadId,
                    ctx.attempt());
        }
    }

    private static String hostName() {
        try {
            return java.net.InetAddress.getLocalHost().getHostName();
        } catch (java.net.UnknownHostException e) {
            return "localhost";
        }
    }
}
