package io.spool.broker.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.function.IntSupplier;

/**
 * The management API as a script would use it: plain HTTP requests with JSON bodies, answers
 * with their status and parsed body (null when empty). The port is asked for at each request,
 * so it follows a broker across {@link TestBroker#restart()}.
 */
public final class ManagementHttp {

    public static final ObjectMapper JSON = new ObjectMapper();

    public record Reply(int status, JsonNode body) {
        public String reason() {
            return body == null ? null : body.path("reason").asText();
        }
    }

    private final IntSupplier port;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    public ManagementHttp(IntSupplier port) {
        this.port = port;
    }

    public static ManagementHttp of(TestBroker broker) {
        return new ManagementHttp(() -> broker.broker().httpPort());
    }

    public Reply get(String path) throws Exception {
        return send(request(path).GET());
    }

    public Reply put(String path, String json) throws Exception {
        return send(request(path).header("Content-Type", "application/json")
                .PUT(HttpRequest.BodyPublishers.ofString(json)));
    }

    public Reply delete(String path) throws Exception {
        return send(request(path).DELETE());
    }

    /** Sets a policy on vhost "/", expecting 201 or 204. */
    public void setPolicy(String name, String body) throws Exception {
        Reply r = put("/api/policies/%2F/" + name, body);
        if (r.status() != 201 && r.status() != 204) {
            throw new AssertionError("policy '" + name + "' refused: " + r.status() + " " + r.body());
        }
    }

    /** Clears a policy on vhost "/", expecting 204. */
    public void clearPolicy(String name) throws Exception {
        Reply r = delete("/api/policies/%2F/" + name);
        if (r.status() != 204) {
            throw new AssertionError("policy '" + name + "' not cleared: " + r.status() + " " + r.body());
        }
    }

    /** The JSON of one queue of vhost "/". */
    public JsonNode queue(String name) throws Exception {
        Reply r = get("/api/queues/%2F/" + name);
        if (r.status() != 200) {
            throw new AssertionError("no queue '" + name + "': " + r.status() + " " + r.body());
        }
        return r.body();
    }

    private HttpRequest.Builder request(String path) {
        return HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port.getAsInt() + path))
                .timeout(Duration.ofSeconds(10));
    }

    private Reply send(HttpRequest.Builder request) throws Exception {
        HttpResponse<String> r = http.send(request.build(), HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
        return new Reply(r.statusCode(), r.body().isEmpty() ? null : JSON.readTree(r.body()));
    }
}
