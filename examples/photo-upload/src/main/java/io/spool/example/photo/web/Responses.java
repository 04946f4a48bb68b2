package io.spool.example.photo.web;

import com.sun.net.httpserver.HttpExchange;
import io.spool.example.photo.Json;
import java.io.IOException;
import java.io.OutputStream;
import java.util.Map;

/** Writing answers: JSON bodies, and errors as {@code {"error": "..."}} with a status code. */
final class Responses {

    private Responses() {
    }

    static void json(HttpExchange exchange, int status, Object body) throws IOException {
        byte[] bytes = Json.MAPPER.writeValueAsBytes(body);
        exchange.getResponseHeaders().set("Content-Type", "application/json");
        exchange.getResponseHeaders().set("Cache-Control", "no-store");
        exchange.sendResponseHeaders(status, bytes.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(bytes);
        }
    }

    static void error(HttpExchange exchange, int status, String message) throws IOException {
        json(exchange, status, Map.of("error", message));
    }

    /** 405 with the Allow header the client should have respected. */
    static void methodNotAllowed(HttpExchange exchange, String allowed) throws IOException {
        exchange.getResponseHeaders().set("Allow", allowed);
        error(exchange, 405, exchange.getRequestMethod() + " is not allowed here; use " + allowed);
    }
}
