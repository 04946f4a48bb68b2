package io.spool.example.photo.web;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * {@code GET /features}: what this server accepts, so the page can say that videos need ffmpeg
 * before anyone tries. {@code {"photos": true, "videos": false, "videosUnavailable": "..."}}.
 */
final class Features implements HttpHandler {

    private final Map<String, Object> body = new LinkedHashMap<>();

    Features(String videoUnavailable, long maxUploadBytes) {
        body.put("photos", true);
        body.put("videos", videoUnavailable == null);
        if (videoUnavailable != null) {
            body.put("videosUnavailable", videoUnavailable);
        }
        body.put("maxUploadBytes", maxUploadBytes);
    }

    @Override
    public void handle(HttpExchange exchange) throws IOException {
        try (exchange) {
            if (!exchange.getRequestMethod().equals("GET")) {
                Responses.methodNotAllowed(exchange, "GET");
                return;
            }
            Responses.json(exchange, 200, body);
        }
    }
}
