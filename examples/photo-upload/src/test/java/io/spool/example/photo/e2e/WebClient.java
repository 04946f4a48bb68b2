package io.spool.example.photo.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import io.spool.example.photo.Json;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.UUID;

/** The web app's API as a client sees it, over real HTTP with the JDK's client. */
final class WebClient {

    /** An answer: status code, and the body as JSON (or null when it is not JSON). */
    record Answer(int status, JsonNode json, long millis) {
    }

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
    private final URI base;

    WebClient(URI base) {
        this.base = base;
    }

    URI base() {
        return base;
    }

    /** POST /photos as a browser sends a form: multipart/form-data with the file in "file". */
    Answer upload(String filename, String contentType, byte[] content) throws IOException, InterruptedException {
        String boundary = "----spool" + UUID.randomUUID();
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        body.write(("--" + boundary + "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"" + filename
                + "\"\r\nContent-Type: " + contentType + "\r\n\r\n").getBytes(StandardCharsets.UTF_8));
        body.write(content);
        body.write(("\r\n--" + boundary + "--\r\n").getBytes(StandardCharsets.UTF_8));
        HttpRequest request = HttpRequest.newBuilder(base.resolve("/photos"))
                .header("Content-Type", "multipart/form-data; boundary=" + boundary)
                .POST(HttpRequest.BodyPublishers.ofByteArray(body.toByteArray())).build();
        long start = System.nanoTime();
        HttpResponse<String> response = http.send(request, HttpResponse.BodyHandlers.ofString());
        return answer(response, (System.nanoTime() - start) / 1_000_000);
    }

    Answer get(String path) throws IOException, InterruptedException {
        HttpResponse<String> response = http.send(HttpRequest.newBuilder(base.resolve(path)).build(),
                HttpResponse.BodyHandlers.ofString());
        return answer(response, 0);
    }

    HttpResponse<byte[]> getBytes(String path) throws IOException, InterruptedException {
        return http.send(HttpRequest.newBuilder(base.resolve(path)).build(), HttpResponse.BodyHandlers.ofByteArray());
    }

    /** The status stream of an upload, read on its own thread until it ends or is closed. */
    StatusEvents events(String id) throws IOException, InterruptedException {
        return StatusEvents.open(http, base.resolve("/photos/" + id + "/events"));
    }

    private static Answer answer(HttpResponse<String> response, long millis) throws IOException {
        boolean json = response.headers().firstValue("Content-Type").orElse("").startsWith("application/json");
        return new Answer(response.statusCode(), json ? Json.MAPPER.readTree(response.body()) : null, millis);
    }
}
