package io.spool.example.photo;

import io.spool.example.photo.web.WebApp;
import io.spool.example.photo.work.Ffmpeg;
import io.spool.worker.SpoolJobs;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code photo-upload web}: the web app, until SIGTERM or Ctrl-C. */
@Command(name = "web", mixinStandardHelpOptions = true, description = "Run the web app.")
final class WebCommand implements Callable<Integer> {

    private static final Logger log = LoggerFactory.getLogger("io.spool.example.photo.Web");

    @Mixin
    BrokerOptions broker;

    @Option(names = "--web-port", defaultValue = "8080", description = "HTTP port (0 picks a free one). Default: ${DEFAULT-VALUE}")
    int port;

    @Option(names = "--bind", defaultValue = "127.0.0.1", description = "Address to listen on. Default: ${DEFAULT-VALUE}")
    String bind;

    @Option(names = "--data-dir", defaultValue = "./photo-upload-data",
            description = "Uploads and the database, shared with the workers. Default: ${DEFAULT-VALUE}")
    Path dataDir;

    @Option(names = "--max-upload-mb", defaultValue = "200", description = "Largest upload, MiB. Default: ${DEFAULT-VALUE}")
    long maxUploadMb;

    @Override
    public Integer call() throws Exception {
        String videoUnavailable = Ffmpeg.onPath().isPresent() ? null
                : "videos need ffmpeg on the server, and it is not installed (Debian: apt-get install ffmpeg); photos work";
        SpoolJobs jobs = broker.connect("photo-upload web");
        WebApp app = WebApp.start(new WebApp.Settings(bind, port, dataDir, maxUploadMb * 1024 * 1024, videoUnavailable),
                jobs);
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            log.info("stopping");
            app.close();
            jobs.close();
            stopped.countDown();
        }, "stop"));
        log.info("photo upload ready: {} (data in {}; videos {})", app.uri(), dataDir.toAbsolutePath().normalize(),
                videoUnavailable == null ? "on" : "off: no ffmpeg");
        stopped.await();
        return 0;
    }
}
