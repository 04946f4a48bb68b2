package io.spool.bench.store;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/** Reads the broker's management API: store counters, queue depth and counters, delayed messages. Thread-safe. */
final class ManagementClient {

    /** Group commits and fsyncs the store has done since the broker started. */
    record StoreCounters(long commits, long fsyncs) {
        StoreCounters minus(StoreCounters earlier) {
            return new StoreCounters(commits - earlier.commits, fsyncs - earlier.fsyncs);
        }
    }

    /** A queue's messages waiting and delivered-but-unacknowledged. */
    record QueueDepth(long ready, long unacked) {}

    private static final ObjectMapper JSON = new ObjectMapper();

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private final String base;

    ManagementClient(String host, int port) {
        this.base = "http://" + (host.contains(":") ? "[" + host + "]" : host) + ":" + port;
    }

    StoreCounters storeCounters() throws IOException, InterruptedException {
        JsonNode storage = get("/api/overview").path("storage");
        if (storage.isMissingNode()) {
            throw new IllegalStateException("/api/overview has no \"storage\" counters; is this broker too old?");
        }
        return new StoreCounters(storage.path("commits").asLong(), storage.path("fsyncs").asLong());
    }

    QueueDepth queue(String vhost, String name) throws IOException, InterruptedException {
        JsonNode q = get("/api/queues/" + URLEncoder.encode(vhost, StandardCharsets.UTF_8) + "/"
                + URLEncoder.encode(name, StandardCharsets.UTF_8));
        return new QueueDepth(q.path("messages_ready").asLong(), q.path("messages_unacknowledged").asLong());
    }

    /** Messages waiting in the schedule of delayed delivery (delayed exchanges and retries). */
    long delayedMessages() throws IOException, InterruptedException {
        JsonNode n = get("/api/overview").path("messages_delayed");
        if (n.isMissingNode()) {
            throw new IllegalStateException("/api/overview has no \"messages_delayed\"; is this broker too old?");
        }
        return n.asLong();
    }

    /** A queue's depth and its totals since start of published, delivered and dropped messages. */
    record QueueCounters(long ready, long published, long delivered, long dropped) {}

    QueueCounters queueCounters(String vhost, String name) throws IOException, InterruptedException {
        JsonNode q = get("/api/queues/" + URLEncoder.encode(vhost, StandardCharsets.UTF_8) + "/"
                + URLEncoder.encode(name, StandardCharsets.UTF_8));
        JsonNode stats = q.path("message_stats");
        return new QueueCounters(q.path("messages_ready").asLong(), stats.path("publish").asLong(),
                stats.path("deliver_get").asLong(), stats.path("dropped").asLong());
    }

    private JsonNode get(String path) throws IOException, InterruptedException {
        HttpRequest request = HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(30)).GET().build();
        HttpResponse<String> r = http.send(request, HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
        if (r.statusCode() != 200) {
            throw new IOException("GET " + path + " answered " + r.statusCode() + ": " + r.body());
        }
        return JSON.readTree(r.body());
    }
}
