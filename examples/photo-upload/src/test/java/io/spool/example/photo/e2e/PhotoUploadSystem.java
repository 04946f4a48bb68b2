package io.spool.example.photo.e2e;

import io.spool.broker.testing.TestBroker;
import io.spool.example.photo.Json;
import io.spool.example.photo.web.WebApp;
import io.spool.worker.SpoolJobs;
import java.io.IOException;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The example's parts around a test's broker: the web app (in the test JVM, on a free port),
 * worker processes started on demand, and a direct look into the database. Close it after the
 * test; the broker is the test's {@link TestBroker}.
 */
final class PhotoUploadSystem implements AutoCloseable {

    final Path dataDir;
    final SpoolJobs jobs;
    final WebApp web;
    final WebClient client;
    private final TestBroker broker;
    private final List<AppProcess> workers = new ArrayList<>();

    private PhotoUploadSystem(TestBroker broker, Path dataDir, SpoolJobs jobs, WebApp web) {
        this.broker = broker;
        this.dataDir = dataDir;
        this.jobs = jobs;
        this.web = web;
        this.client = new WebClient(web.uri());
    }

    /** With videos on or off as {@code videoUnavailable} says (null: on). */
    static PhotoUploadSystem start(TestBroker broker, Path dataDir, String videoUnavailable) throws Exception {
        SpoolJobs jobs = SpoolJobs.builder().uri(amqpUri(broker)).connectionName("photo-upload test web")
                .objectMapper(Json.MAPPER).connect();
        WebApp web = WebApp.start(new WebApp.Settings("127.0.0.1", 0, dataDir, 64 * 1024 * 1024, videoUnavailable),
                jobs);
        return new PhotoUploadSystem(broker, dataDir, jobs, web);
    }

    static String amqpUri(TestBroker broker) {
        return "amqp://guest:guest@127.0.0.1:" + broker.port();
    }

    /** A worker process, consuming when this returns. */
    AppProcess startWorker(String... options) throws IOException, InterruptedException {
        return startWorker(Map.of(), options);
    }

    AppProcess startWorker(Map<String, String> env, String... options) throws IOException, InterruptedException {
        AppProcess w = AppProcess.worker(broker.port(), dataDir, env, options);
        workers.add(w);
        return w;
    }

    /** Rows in a table of the database for an upload: 1 after it was recorded once. */
    int rows(String table, String id) throws SQLException {
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + dataDir.resolve("uploads.db"));
             PreparedStatement ps = c.prepareStatement("SELECT COUNT(*) FROM " + table + " WHERE id = ?")) {
            ps.setString(1, id);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getInt(1);
            }
        }
    }

    /** One column of an upload's row in a table, as text. */
    String column(String table, String column, String id) throws SQLException {
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + dataDir.resolve("uploads.db"));
             PreparedStatement ps = c.prepareStatement("SELECT " + column + " FROM " + table + " WHERE id = ?")) {
            ps.setString(1, id);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? rs.getString(1) : null;
            }
        }
    }

    /** The directory of an upload on disk. */
    Path uploadDir(String id) {
        return dataDir.resolve("media").resolve(id);
    }

    @Override
    public void close() {
        workers.forEach(AppProcess::close);
        web.close();
        jobs.close();
    }
}
