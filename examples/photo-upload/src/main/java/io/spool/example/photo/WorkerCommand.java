package io.spool.example.photo;

import io.spool.example.photo.work.Ffmpeg;
import io.spool.example.photo.work.WorkerApp;
import io.spool.worker.SpoolJobs;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code photo-upload worker}: runs jobs until SIGTERM or Ctrl-C, then finishes the running ones. */
@Command(name = "worker", mixinStandardHelpOptions = true, description = "Run a worker process.")
final class WorkerCommand implements Callable<Integer> {

    private static final Logger log = LoggerFactory.getLogger("io.spool.example.photo.Worker");

    @Mixin
    BrokerOptions broker;

    @Option(names = "--data-dir", defaultValue = "./photo-upload-data",
            description = "Uploads and the database, shared with the web app. Default: ${DEFAULT-VALUE}")
    Path dataDir;

    @Option(names = "--block-list", description = "File of SHA-256 hashes to reject, one per line. Default: DATA-DIR/block-list.txt")
    Path blockList;

    @Option(names = "--concurrency", defaultValue = "2", description = "Jobs of each kind at once. Default: ${DEFAULT-VALUE}")
    int concurrency;

    @Option(names = "--max-attempts", defaultValue = "5", description = "Attempts before a job is dead-lettered. Default: ${DEFAULT-VALUE}")
    int maxAttempts;

    @Option(names = "--retry-initial-ms", defaultValue = "1000", description = "Delay before the first retry; it doubles for each next one. Default: ${DEFAULT-VALUE}")
    long retryInitialMs;

    @Option(names = "--retry-max-ms", defaultValue = "60000", description = "Longest delay between retries. Default: ${DEFAULT-VALUE}")
    long retryMaxMs;

    @Option(names = "--timeout-ms", defaultValue = "300000", description = "Longest one attempt may run. Default: ${DEFAULT-VALUE}")
    long timeoutMs;

    @Override
    public Integer call() throws Exception {
        Path blocked = blockList != null ? blockList : dataDir.resolve("block-list.txt");
        SpoolJobs jobs = broker.connect("photo-upload worker " + ProcessHandle.current().pid());
        WorkerApp app = WorkerApp.start(new WorkerApp.Settings(dataDir, blocked, concurrency, maxAttempts,
                Duration.ofMillis(retryInitialMs), Duration.ofMillis(retryMaxMs), Duration.ofMillis(timeoutMs)),
                jobs, Ffmpeg.onPath());
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            log.info("stopping: finishing running jobs (up to 30 s), handing back the rest");
            app.close(Duration.ofSeconds(30));
            jobs.close();
            stopped.countDown();
        }, "stop"));
        stopped.await();
        return 0;
    }
}
