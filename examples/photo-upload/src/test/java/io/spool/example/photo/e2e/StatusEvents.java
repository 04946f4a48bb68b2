package io.spool.example.photo.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import io.spool.example.photo.Json;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Stream;

/**
 * A Server-Sent Events stream read as a browser's EventSource would: "event:" and "data:"
 * lines, an empty line ends an event. What arrived is kept for the test to look at.
 */
final class StatusEvents implements AutoCloseable {

    record Event(String name, JsonNode data) {
    }

    private final List<Event> events = new CopyOnWriteArrayList<>();
    private final HttpResponse<Stream<String>> response;
    private final Thread reader;
    private volatile boolean ended;

    private StatusEvents(HttpResponse<Stream<String>> response) {
        this.response = response;
        this.reader = Thread.ofVirtual().start(this::read);
    }

    static StatusEvents open(HttpClient http, URI uri) throws IOException, InterruptedException {
        HttpResponse<Stream<String>> response = http.send(HttpRequest.newBuilder(uri)
                .header("Accept", "text/event-stream").build(), HttpResponse.BodyHandlers.ofLines());
        if (response.statusCode() != 200
                || !response.headers().firstValue("Content-Type").orElse("").startsWith("text/event-stream")) {
            throw new AssertionError("not an event stream: " + response.statusCode() + " " + response.headers());
        }
        return new StatusEvents(response);
    }

    private void read() {
        String name = "message";
        StringBuilder data = new StringBuilder();
        try (Stream<String> lines = response.body()) {
            for (String line : (Iterable<String>) lines::iterator) {
                if (line.isEmpty()) {
                    if (!data.isEmpty()) {
                        events.add(new Event(name, Json.MAPPER.readTree(data.toString())));
                    }
                    name = "message";
                    data.setLength(0);
                } else if (line.startsWith("event: ")) {
                    name = line.substring("event: ".length());
                } else if (line.startsWith("data: ")) {
                    data.append(line.substring("data: ".length()));
                }
            }
        } catch (IOException | UncheckedIOException e) {
            // closed by the test, or the stream broke: what arrived is kept
        } finally {
            ended = true;
        }
    }

    List<Event> all() {
        return List.copyOf(events);
    }

    /** The "status" values in the order they came. */
    List<String> statuses() {
        return events.stream().filter(e -> e.name().equals("status")).map(e -> e.data().path("status").asText()).toList();
    }

    /** The "activity" texts in the order they came. */
    List<String> activities() {
        return events.stream().filter(e -> e.name().equals("activity")).map(e -> e.data().path("text").asText()).toList();
    }

    JsonNode lastStatus() {
        return events.stream().filter(e -> e.name().equals("status")).reduce((a, b) -> b).map(Event::data).orElse(null);
    }

    /** Whether the server ended the stream. */
    boolean ended() {
        return ended;
    }

    @Override
    public void close() {
        reader.interrupt();
        response.body().close();
    }
}
