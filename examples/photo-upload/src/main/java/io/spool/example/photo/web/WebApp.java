package io.spool.example.photo.web;

import com.sun.net.httpserver.HttpServer;
import io.spool.example.photo.Jobs;
import io.spool.example.photo.store.MediaStore;
import io.spool.example.photo.store.UploadDatabase;
import io.spool.worker.JobEvent;
import io.spool.worker.SpoolJobs;
import io.spool.worker.Subscription;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.file.Path;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The web app: the JDK's HTTP server with one virtual thread per request (an open status stream
 * holds its thread and costs almost nothing), the page, the upload API and the media files. It
 * turns the workers' job events into status stream news.
 */
public final class WebApp implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(WebApp.class);

    /**
     * @param dataDir           shared with the workers: {@code media/} and {@code uploads.db}
     * @param videoUnavailable  why videos are refused (no ffmpeg here), or null to take them
     */
    public record Settings(String bind, int port, Path dataDir, long maxUploadBytes, String videoUnavailable) {
    }

    private final HttpServer server;
    private final ExecutorService executor;
    private final UploadDatabase db;
    private final List<Subscription> subscriptions = new ArrayList<>();

    private WebApp(HttpServer server, ExecutorService executor, UploadDatabase db) {
        this.server = server;
        this.executor = executor;
        this.db = db;
    }

    public static WebApp start(Settings settings, SpoolJobs spoolJobs) throws IOException, SQLException {
        MediaStore media = new MediaStore(settings.dataDir().resolve("media"));
        UploadDatabase db = UploadDatabase.open(settings.dataDir().resolve("uploads.db"));
        Jobs jobs = new Jobs(spoolJobs);
        StatusHub hub = new StatusHub();
        HttpServer server = HttpServer.create(new InetSocketAddress(settings.bind(), settings.port()), 100);
        ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor();
        server.setExecutor(executor);
        server.createContext("/photos", new PhotoApi(media, db, jobs, new StatusStream(db, hub),
                settings.maxUploadBytes(), settings.videoUnavailable()));
        server.createContext(MediaFiles.PREFIX, new MediaFiles(media, db));
        server.createContext("/features", new Features(settings.videoUnavailable(), settings.maxUploadBytes()));
        server.createContext("/", new StaticAssets());
        WebApp app = new WebApp(server, executor, db);
        for (String queue : List.of(Jobs.PHOTOS, Jobs.VIDEOS, Jobs.VIDEO_PARTS, Jobs.VIDEOS_LIVE)) {
            app.subscriptions.add(spoolJobs.events().subscribe(queue + ".*", event -> hub.publish(news(event))));
        }
        server.start();
        return app;
    }

    private static StatusHub.News news(JobEvent event) {
        return new StatusHub.News(Jobs.uploadIdOf(event.jobId(), event.parentId()), Activity.describe(event));
    }

    public int port() {
        return server.getAddress().getPort();
    }

    public URI uri() {
        return URI.create("http://" + server.getAddress().getHostString() + ":" + port() + "/");
    }

    /** Stops taking requests, ends open status streams, closes the database. */
    @Override
    public void close() {
        subscriptions.forEach(Subscription::close);
        server.stop(0);
        executor.shutdownNow();
        try {
            db.close();
        } catch (SQLException e) {
            log.warn("closing the database: {}", e.getMessage());
        }
    }
}
