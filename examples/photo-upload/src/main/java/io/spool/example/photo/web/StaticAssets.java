package io.spool.example.photo.web;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.util.Map;

/** The page: {@code /} (index.html), {@code /app.js} and {@code /style.css}, from the jar's {@code web/}. */
final class StaticAssets implements HttpHandler {

    private record Asset(String contentType, byte[] bytes) {
    }

    private final Map<String, Asset> assets = Map.of(
            "/", load("index.html", "text/html; charset=utf-8"),
            "/app.js", load("app.js", "text/javascript; charset=utf-8"),
            "/style.css", load("style.css", "text/css; charset=utf-8"));

    @Override
    public void handle(HttpExchange exchange) throws IOException {
        try (exchange) {
            Asset asset = assets.get(exchange.getRequestURI().getPath());
            if (asset == null) {
                Responses.error(exchange, 404, "no page at " + exchange.getRequestURI().getPath());
                return;
            }
            if (!exchange.getRequestMethod().equals("GET")) {
                Responses.methodNotAllowed(exchange, "GET");
                return;
            }
            exchange.getResponseHeaders().set("Content-Type", asset.contentType);
            exchange.getResponseHeaders().set("Cache-Control", "no-cache");
            exchange.sendResponseHeaders(200, asset.bytes.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(asset.bytes);
            }
        }
    }

    private static Asset load(String name, String contentType) {
        try (InputStream in = StaticAssets.class.getResourceAsStream("/web/" + name)) {
            if (in == null) {
                throw new IllegalStateException("web/" + name + " is missing from the jar");
            }
            return new Asset(contentType, in.readAllBytes());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
