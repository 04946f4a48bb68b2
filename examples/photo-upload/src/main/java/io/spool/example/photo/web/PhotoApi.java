package io.spool.example.photo.web;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import io.spool.example.photo.Jobs;
import io.spool.example.photo.store.Kind;
import io.spool.example.photo.store.MediaStore;
import io.spool.example.photo.store.Status;
import io.spool.example.photo.store.Upload;
import io.spool.example.photo.store.UploadDatabase;
import io.spool.example.photo.store.UploadRecord;
import io.spool.worker.PublishException;
import io.spool.worker.PublishOptions;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.SQLException;
import java.time.Instant;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The upload API:
 * <ul>
 *   <li>{@code POST /photos}, multipart/form-data with the file in a field named {@code file}:
 *       stores it, records the upload, publishes its job and answers 202 with its id. The
 *       work is left to the workers, so this takes milliseconds whatever the file.</li>
 *   <li>{@code GET /photos/{id}}: the upload's status and, once done, its metadata and URLs.</li>
 *   <li>{@code GET /photos/{id}/events}: the same as Server-Sent Events ({@link StatusStream}).</li>
 * </ul>
 */
final class PhotoApi implements HttpHandler {

    private static final Logger log = LoggerFactory.getLogger(PhotoApi.class);
    private static final Pattern ONE = Pattern.compile("/photos/([^/]+)(/events)?/?");
    private static final int MAX_FILENAME = 255;

    private final MediaStore media;
    private final UploadDatabase db;
    private final Jobs jobs;
    private final StatusStream statusStream;
    private final long maxUploadBytes;
    /** Why videos cannot be taken, or null when they can. */
    private final String videoUnavailable;

    PhotoApi(MediaStore media, UploadDatabase db, Jobs jobs, StatusStream statusStream, long maxUploadBytes,
             String videoUnavailable) {
        this.media = media;
        this.db = db;
        this.jobs = jobs;
        this.statusStream = statusStream;
        this.maxUploadBytes = maxUploadBytes;
        this.videoUnavailable = videoUnavailable;
    }

    @Override
    public void handle(HttpExchange exchange) throws IOException {
        try (exchange) {
            String path = exchange.getRequestURI().getPath();
            String method = exchange.getRequestMethod();
            if (path.equals("/photos") || path.equals("/photos/")) {
                if (method.equals("POST")) {
                    upload(exchange);
                } else {
                    Responses.methodNotAllowed(exchange, "POST");
                }
                return;
            }
            Matcher m = ONE.matcher(path);
            if (!m.matches() || !MediaStore.isId(m.group(1))) {
                Responses.error(exchange, 404, "no upload at " + path);
                return;
            }
            if (!method.equals("GET")) {
                Responses.methodNotAllowed(exchange, "GET");
                return;
            }
            if (m.group(2) != null) {
                statusStream.stream(exchange, m.group(1));
            } else {
                show(exchange, m.group(1));
            }
        } catch (SQLException e) {
            log.error("database error on {} {}", exchange.getRequestMethod(), exchange.getRequestURI(), e);
            Responses.error(exchange, 500, "database error: " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void show(HttpExchange exchange, String id) throws IOException, SQLException {
        Optional<UploadRecord> record = db.find(id);
        if (record.isEmpty()) {
            Responses.error(exchange, 404, "no upload with id " + id);
            return;
        }
        Responses.json(exchange, 200, UploadView.of(record.get()));
    }

    private void upload(HttpExchange exchange) throws IOException, SQLException {
        String boundary;
        try {
            boundary = MultipartReader.boundaryOf(exchange.getRequestHeaders().getFirst("Content-Type"));
        } catch (MultipartReader.MultipartException e) {
            Responses.error(exchange, 415, e.getMessage() + "; send the file in a multipart/form-data field named 'file'");
            return;
        }
        String id = MediaStore.newId();
        Path dir = media.directory(id);
        Received file;
        try {
            file = receive(new MultipartReader(exchange.getRequestBody(), boundary), dir);
        } catch (MultipartReader.TooLargeException e) {
            refuse(exchange, dir, 413, e.getMessage());
            return;
        } catch (MultipartReader.MultipartException e) {
            refuse(exchange, dir, 400, "malformed upload: " + e.getMessage());
            return;
        } catch (IOException | RuntimeException e) {
            deleteTree(dir);
            throw e;
        }
        if (file == null) {
            refuse(exchange, dir, 400, "no file: send it in a multipart/form-data field named 'file'");
            return;
        }
        if (file.bytes == 0) {
            refuse(exchange, dir, 400, "the file '" + file.filename + "' is empty");
            return;
        }
        Kind kind = file.contentType.toLowerCase(Locale.ROOT).startsWith("video/") ? Kind.VIDEO : Kind.PHOTO;
        if (kind == Kind.VIDEO && videoUnavailable != null) {
            refuse(exchange, dir, 415, videoUnavailable);
            return;
        }
        Path original = media.original(id, file.filename);
        Files.move(file.path, original);
        db.insertUpload(new Upload(id, kind, file.filename, file.bytes, Instant.now()));
        try {
            if (kind == Kind.VIDEO) {
                jobs.videos.publish(new Jobs.Video(id, original.toString()), PublishOptions.jobId(id));
            } else {
                jobs.photos.publish(new Jobs.Photo(id, original.toString()), PublishOptions.jobId(id));
            }
        } catch (PublishException e) {
            db.deleteUpload(id);
            log.warn("upload {} not queued: {}", id, e.getMessage());
            refuse(exchange, dir, 503, "the job queue did not take the upload (" + e.getMessage()
                    + "); nothing was kept, try again");
            return;
        }
        exchange.getResponseHeaders().set("Location", "/photos/" + id);
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("id", id);
        body.put("kind", kind);
        body.put("status", Status.PROCESSING);
        body.put("url", "/photos/" + id);
        body.put("events", "/photos/" + id + "/events");
        Responses.json(exchange, 202, body);
    }

    /** Deletes what was received, then answers: a client told "refused" finds nothing left behind. */
    private static void refuse(HttpExchange exchange, Path dir, int status, String message) throws IOException {
        deleteTree(dir);
        Responses.error(exchange, status, message);
    }

    private record Received(Path path, String filename, String contentType, long bytes) {
    }

    /** Streams the first file part named "file" to disk; other fields are skipped. */
    private Received receive(MultipartReader reader, Path dir) throws IOException {
        Received received = null;
        MultipartReader.Part part;
        while ((part = reader.next()) != null) {
            if (received == null && part.name().equals("file") && part.filename() != null) {
                Path tmp = dir.resolve("upload.part");
                long bytes;
                try (OutputStream out = Files.newOutputStream(tmp)) {
                    bytes = reader.copyContent(out, maxUploadBytes);
                }
                received = new Received(tmp, displayName(part.filename()), part.contentType(), bytes);
            }
        }
        return received;
    }

    /** The client's file name without any directory (old browsers send a full path), for display. */
    static String displayName(String filename) {
        String name = filename.substring(Math.max(filename.lastIndexOf('/'), filename.lastIndexOf('\\')) + 1)
                .replaceAll("\\p{Cntrl}", "").strip();
        if (name.isEmpty()) {
            return "unnamed";
        }
        return name.length() > MAX_FILENAME ? name.substring(0, MAX_FILENAME) : name;
    }

    private static void deleteTree(Path dir) {
        try (Stream<Path> walk = Files.walk(dir)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        } catch (IOException e) {
            log.warn("could not delete {}: {}", dir, e.toString());
        }
    }
}
