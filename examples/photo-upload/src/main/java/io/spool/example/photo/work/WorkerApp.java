package io.spool.example.photo.work;

import io.spool.example.photo.Jobs;
import io.spool.example.photo.store.UploadDatabase;
import io.spool.worker.SpoolJobs;
import io.spool.worker.Worker;
import io.spool.worker.WorkerBuilder;
import java.nio.file.Path;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A worker process's work: photo thumbnails always; video checks, renditions and the video
 * join where ffmpeg is installed (elsewhere those queues wait for a worker that has it).
 */
public final class WorkerApp implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(WorkerApp.class);

    /**
     * @param dataDir     shared with the web app: {@code media/} and {@code uploads.db}
     * @param blockList   SHA-256 hashes moderation turns down
     * @param concurrency jobs of each kind run at once
     */
    public record Settings(Path dataDir, Path blockList, int concurrency, int maxAttempts, Duration retryInitial,
                           Duration retryMax, Duration timeout) {
    }

    private final List<Worker> workers;
    private final UploadDatabase db;

    private WorkerApp(List<Worker> workers, UploadDatabase db) {
        this.workers = workers;
        this.db = db;
    }

    public static WorkerApp start(Settings s, SpoolJobs spoolJobs, Optional<Ffmpeg> ffmpeg) throws SQLException {
        UploadDatabase db = UploadDatabase.open(s.dataDir().resolve("uploads.db"));
        Jobs jobs = new Jobs(spoolJobs);
        BlockList blockList = new BlockList(s.blockList());
        Outcomes outcomes = new Outcomes(db);
        List<Worker> workers = new ArrayList<>();
        workers.add(configure(spoolJobs.worker(jobs.photos), s)
                .handle(new PhotoHandler(new ImageModeration(blockList), outcomes)).start());
        if (ffmpeg.isPresent()) {
            workers.add(configure(spoolJobs.worker(jobs.videos), s)
                    .handle(new VideoHandler(new VideoModeration(blockList, ffmpeg.get()), outcomes, jobs)).start());
            workers.add(configure(spoolJobs.worker(jobs.videoParts), s)
                    .handle(new VideoPartHandler(ffmpeg.get(), db, outcomes)).start());
            workers.add(configure(spoolJobs.worker(jobs.videosLive), s)
                    .handle(new VideoLiveHandler(outcomes)).start());
        }
        log.info("worker {} ready: {} (concurrency {}, {} attempts, retries after {} ms doubling up to {} ms){}",
                Outcomes.WORKER, workers.stream().map(Worker::queue).toList(), s.concurrency(), s.maxAttempts(),
                s.retryInitial().toMillis(), s.retryMax().toMillis(),
                ffmpeg.isPresent() ? "" : "; no ffmpeg on the PATH, so no video work here");
        return new WorkerApp(workers, db);
    }

    private static <T> WorkerBuilder<T> configure(WorkerBuilder<T> b, Settings s) {
        return b.concurrency(s.concurrency()).maxAttempts(s.maxAttempts()).backoff(s.retryInitial(), s.retryMax())
                .timeout(s.timeout());
    }

    /** Graceful: stops taking jobs, lets running ones finish (up to the deadline), hands back the rest. */
    public void close(Duration deadline) {
        // Side by side: each waits for its own running jobs, so the deadline holds for all together.
        List<Thread> closing = workers.stream().map(w -> Thread.ofVirtual().start(() -> w.close(deadline))).toList();
        for (Thread t : closing) {
            try {
                t.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        try {
            db.close();
        } catch (SQLException e) {
            log.warn("closing the database: {}", e.getMessage());
        }
    }

    @Override
    public void close() {
        close(Duration.ofSeconds(30));
    }
}
