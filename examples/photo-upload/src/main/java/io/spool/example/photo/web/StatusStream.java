package io.spool.example.photo.web;

import com.sun.net.httpserver.HttpExchange;
import io.spool.example.photo.Json;
import io.spool.example.photo.store.UploadDatabase;
import io.spool.example.photo.store.UploadRecord;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.sql.SQLException;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * {@code GET /photos/{id}/events}: the upload's status as Server-Sent Events. A {@code status}
 * event (the same JSON as {@code GET /photos/{id}}) comes at once and again whenever it changes;
 * an {@code activity} event tells what the workers are doing ("attempt 2 started"). The stream
 * ends after a final status (done, rejected, failed). A comment every 15 seconds keeps proxies
 * from closing an idle stream and tells this side when the browser has gone.
 *
 * <p>Runs on the request's own (virtual) thread for as long as the stream is open.
 */
final class StatusStream {

    private static final long KEEP_ALIVE_SECONDS = 15;

    private final UploadDatabase db;
    private final StatusHub hub;

    StatusStream(UploadDatabase db, StatusHub hub) {
        this.db = db;
        this.hub = hub;
    }

    void stream(HttpExchange exchange, String id) throws IOException, SQLException, InterruptedException {
        // Watch before the first read: news arriving in between is then queued, not missed.
        try (StatusHub.Watch watch = hub.watch(id)) {
            Optional<UploadRecord> first = db.find(id);
            if (first.isEmpty()) {
                Responses.error(exchange, 404, "no upload with id " + id);
                return;
            }
            exchange.getResponseHeaders().set("Content-Type", "text/event-stream; charset=utf-8");
            exchange.getResponseHeaders().set("Cache-Control", "no-store");
            exchange.sendResponseHeaders(200, 0);
            try (OutputStream out = exchange.getResponseBody()) {
                UploadView last = UploadView.of(first.get());
                send(out, "status", last);
                while (!last.status().isFinal()) {
                    StatusHub.News news = watch.inbox.poll(KEEP_ALIVE_SECONDS, TimeUnit.SECONDS);
                    if (news == null) {
                        write(out, ": keep-alive\n\n");
                        continue;
                    }
                    send(out, "activity", Map.of("text", news.activity()));
                    UploadView now = UploadView.of(db.find(id).orElseThrow());
                    if (!now.equals(last)) {
                        send(out, "status", now);
                        last = now;
                    }
                }
            }
        }
    }

    private static void send(OutputStream out, String event, Object data) throws IOException {
        write(out, "event: " + event + "\ndata: " + Json.MAPPER.writeValueAsString(data) + "\n\n");
    }

    private static void write(OutputStream out, String text) throws IOException {
        out.write(text.getBytes(StandardCharsets.UTF_8));
        out.flush();
    }
}
