package io.spool.broker.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/**
 * Talks to a running broker's management API over HTTP/1.1, for the command line. Every way of
 * not getting an answer becomes a {@link CommandFailure} that says where it looked and how to
 * point it elsewhere.
 */
final class ManagementClient {

    static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration TIMEOUT = Duration.ofSeconds(10);

    /** An answer: the status and the body, parsed when it is JSON (else null). */
    record Reply(int status, JsonNode body) {
        /** RabbitMQ's {@code reason} field of an error, or the status when there is none. */
        String reason() {
            return body != null && body.hasNonNull("reason") ? body.get("reason").asText() : "HTTP " + status;
        }
    }

    private final String base;
    private final HttpClient http;

    ManagementClient(String host, int port) {
        String h = host.contains(":") && !host.startsWith("[") ? "[" + host + "]" : host;
        this.base = "http://" + h + ":" + port;
        this.http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(TIMEOUT).build();
    }

    /** A path segment, percent-encoded: the vhost "/" is "%2F", as RabbitMQ's API expects. */
    static String segment(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20");
    }

    Reply get(String path) {
        return send(HttpRequest.newBuilder(uri(path)).GET());
    }

    Reply put(String path, Object body) {
        byte[] json;
        try {
            json = JSON.writeValueAsBytes(body);
        } catch (IOException e) {
            throw new IllegalStateException("cannot write JSON", e);
        }
        return send(HttpRequest.newBuilder(uri(path)).header("Content-Type", "application/json")
                .PUT(HttpRequest.BodyPublishers.ofByteArray(json)));
    }

    Reply delete(String path) {
        return send(HttpRequest.newBuilder(uri(path)).DELETE());
    }

    private URI uri(String path) {
        return URI.create(base + path);
    }

    private Reply send(HttpRequest.Builder request) {
        HttpResponse<byte[]> r;
        try {
            r = http.send(request.timeout(TIMEOUT).build(), HttpResponse.BodyHandlers.ofByteArray());
        } catch (HttpConnectTimeoutException e) {
            throw unreachable("no answer to connect within " + TIMEOUT.toSeconds() + " s");
        } catch (ConnectException e) {
            throw unreachable("connection refused");
        } catch (HttpTimeoutException e) {
            throw new CommandFailure("the broker at " + base + " did not answer within " + TIMEOUT.toSeconds() + " s");
        } catch (IOException e) {
            throw unreachable(e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CommandFailure("interrupted");
        }
        JsonNode body = null;
        if (r.body().length > 0) {
            try {
                body = JSON.readTree(r.body());
            } catch (IOException e) {
                // not JSON (not Spool at that port?): the status alone tells the story
            }
        }
        return new Reply(r.statusCode(), body);
    }

    private CommandFailure unreachable(String why) {
        return new CommandFailure("cannot reach the broker's management API at " + base + " (" + why
                + "); is the broker running? Point to it with --http-port / --host or SPOOL_HTTP_PORT");
    }
}
