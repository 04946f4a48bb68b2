package io.spool.example.photo.web;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import io.spool.example.photo.store.MediaStore;
import io.spool.example.photo.store.UploadDatabase;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.sql.SQLException;

/**
 * {@code GET /media/{id}/{name}}: the thumbnails, renditions and posters the workers made. Only
 * files the database lists as outputs are served (never the original, never a path from the
 * request), and they never change once written, so browsers may cache them for good.
 */
final class MediaFiles implements HttpHandler {

    static final String PREFIX = "/media/";

    private final MediaStore media;
    private final UploadDatabase db;

    MediaFiles(MediaStore media, UploadDatabase db) {
        this.media = media;
        this.db = db;
    }

    static String url(String id, String name) {
        return PREFIX + id + "/" + name;
    }

    @Override
    public void handle(HttpExchange exchange) throws IOException {
        try (exchange) {
            if (!exchange.getRequestMethod().equals("GET") && !exchange.getRequestMethod().equals("HEAD")) {
                Responses.methodNotAllowed(exchange, "GET");
                return;
            }
            String[] parts = exchange.getRequestURI().getPath().substring(PREFIX.length()).split("/", -1);
            if (parts.length != 2 || !MediaStore.isId(parts[0]) || !MediaStore.isOutputName(parts[1])
                    || !isOutput(parts[0], parts[1])) {
                Responses.error(exchange, 404, "no such file");
                return;
            }
            Path file = media.output(parts[0], parts[1]);
            long size;
            try {
                size = Files.size(file);
            } catch (NoSuchFileException e) {
                Responses.error(exchange, 404, "no such file");
                return;
            }
            exchange.getResponseHeaders().set("Content-Type", parts[1].endsWith(".mp4") ? "video/mp4" : "image/jpeg");
            exchange.getResponseHeaders().set("Cache-Control", "public, max-age=31536000, immutable");
            if (exchange.getRequestMethod().equals("HEAD")) {
                exchange.sendResponseHeaders(200, -1);
                return;
            }
            exchange.sendResponseHeaders(200, size);
            try (OutputStream out = exchange.getResponseBody()) {
                Files.copy(file, out);
            }
        }
    }

    private boolean isOutput(String id, String name) throws IOException {
        try {
            return db.outputs(id).stream().anyMatch(o -> o.name().equals(name));
        } catch (SQLException e) {
            throw new IOException("database: " + e.getMessage(), e);
        }
    }
}
