package io.spool.broker.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.MessageProperties;
import io.spool.broker.testing.TestBroker;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The management endpoints that exist so far, read the way monitoring scripts written for
 * RabbitMQ read them: same paths, same field names.
 */
class ManagementApiTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    private static final int HIGH_WATERMARK = 1024 * 1024;

    @RegisterExtension
    final TestBroker broker = new TestBroker(b -> b.memoryHighWatermark(HIGH_WATERMARK));

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private record Reply(int status, String contentType, JsonNode body) {}

    private Reply get(String path) throws Exception {
        HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + broker.broker().httpPort() + path))
                .timeout(Duration.ofSeconds(10)).GET().build();
        HttpResponse<String> r = http.send(request, HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
        return new Reply(r.statusCode(), r.headers().firstValue("content-type").orElse(""), JSON.readTree(r.body()));
    }

    /** A queue "jobs" holding 3 messages, one of them delivered and not yet acknowledged. */
    private Connection queueWithReadyAndUnacked() throws Exception {
        Connection conn = broker.connect();
        Channel ch = conn.createChannel();
        ch.queueDeclare("jobs", true, false, false, Map.of("x-max-length", 100));
        for (int i = 0; i < 3; i++) {
            ch.basicPublish("", "jobs", null, ("job " + i).getBytes(StandardCharsets.UTF_8));
        }
        ch.basicQos(1);
        ch.basicConsume("jobs", false, (tag, d) -> { }, tag -> { });
        return conn;
    }

    @Test
    void overviewHasObjectAndQueueTotalsAndListeners() throws Exception {
        queueWithReadyAndUnacked();

        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
            JsonNode totals = get("/api/overview").body().get("queue_totals");
            assertThat(totals.get("messages_unacknowledged").asLong()).isEqualTo(1);
        });
        Reply r = get("/api/overview");
        assertThat(r.status()).isEqualTo(200);
        assertThat(r.contentType()).startsWith("application/json");
        JsonNode o = r.body();
        assertThat(o.get("product_name").asText()).isEqualTo("Spool");
        assertThat(o.get("product_version").isTextual()).isTrue();
        assertThat(o.get("management_version").isTextual()).isTrue();
        assertThat(o.get("cluster_name").isTextual()).isTrue();
        assertThat(o.get("node").isTextual()).isTrue();

        JsonNode objects = o.get("object_totals");
        assertThat(objects.get("connections").asInt()).isEqualTo(1);
        assertThat(objects.get("queues").asInt()).isEqualTo(1);
        assertThat(objects.get("consumers").asInt()).isEqualTo(1);
        // The default exchange and the amq.* ones exist in every vhost.
        assertThat(objects.get("exchanges").asInt()).isGreaterThanOrEqualTo(7);

        JsonNode queues = o.get("queue_totals");
        assertThat(queues.get("messages").asLong()).isEqualTo(3);
        assertThat(queues.get("messages_ready").asLong()).isEqualTo(2);
        assertThat(queues.get("messages_unacknowledged").asLong()).isEqualTo(1);

        List<String> listeners = new ArrayList<>();
        o.get("listeners").forEach(l -> listeners.add(l.get("protocol").asText() + " "
                + l.get("ip_address").asText() + ":" + l.get("port").asInt()));
        assertThat(listeners).containsExactlyInAnyOrder(
                "amqp 127.0.0.1:" + broker.port(),
                "http 127.0.0.1:" + broker.broker().httpPort());
    }

    @Test
    void overviewCountsGroupCommitsAndFsyncs() throws Exception {
        Channel ch = broker.connect().createChannel();
        ch.queueDeclare("jobs", true, false, false, null);
        ch.confirmSelect();
        ch.basicPublish("", "jobs", MessageProperties.PERSISTENT_BASIC, "job".getBytes(StandardCharsets.UTF_8));
        ch.waitForConfirmsOrDie(10_000);

        // A confirm means fsynced, so the commit that covered this message has been counted.
        JsonNode storage = get("/api/overview").body().get("storage");
        assertThat(storage.get("commits").asLong()).isPositive();
        assertThat(storage.get("fsyncs").asLong()).isPositive();
    }

    @Test
    void queuesListsEveryQueueWithCountsAndConsumers() throws Exception {
        Connection conn = queueWithReadyAndUnacked();
        conn.createChannel().queueDeclare("emails", false, false, true, null);

        await().atMost(Duration.ofSeconds(10)).untilAsserted(() ->
                assertThat(find(get("/api/queues").body(), "jobs").get("messages_unacknowledged").asLong()).isEqualTo(1));
        Reply r = get("/api/queues");
        assertThat(r.status()).isEqualTo(200);
        assertThat(r.body().isArray()).isTrue();
        assertThat(names(r.body())).containsExactly("emails", "jobs");

        JsonNode jobs = find(r.body(), "jobs");
        assertThat(jobs.get("vhost").asText()).isEqualTo("/");
        assertThat(jobs.get("durable").asBoolean()).isTrue();
        assertThat(jobs.get("auto_delete").asBoolean()).isFalse();
        assertThat(jobs.get("exclusive").asBoolean()).isFalse();
        assertThat(jobs.get("arguments").get("x-max-length").asInt()).isEqualTo(100);
        assertThat(jobs.get("messages").asLong()).isEqualTo(3);
        assertThat(jobs.get("messages_ready").asLong()).isEqualTo(2);
        assertThat(jobs.get("messages_unacknowledged").asLong()).isEqualTo(1);
        assertThat(jobs.get("consumers").asInt()).isEqualTo(1);
        assertThat(jobs.get("message_stats").get("publish").asLong()).isEqualTo(3);

        JsonNode emails = find(r.body(), "emails");
        assertThat(emails.get("durable").asBoolean()).isFalse();
        assertThat(emails.get("auto_delete").asBoolean()).isTrue();
        assertThat(emails.get("messages").asLong()).isZero();
        assertThat(emails.get("consumers").asInt()).isZero();
    }

    @Test
    void oneQueueByVhostAndName() throws Exception {
        queueWithReadyAndUnacked();

        await().atMost(Duration.ofSeconds(10)).untilAsserted(() ->
                assertThat(get("/api/queues/%2F/jobs").body().get("messages_unacknowledged").asLong()).isEqualTo(1));
        Reply r = get("/api/queues/%2F/jobs");
        assertThat(r.status()).isEqualTo(200);
        assertThat(r.body().get("name").asText()).isEqualTo("jobs");
        assertThat(r.body().get("vhost").asText()).isEqualTo("/");
        assertThat(r.body().get("messages_ready").asLong()).isEqualTo(2);
        assertThat(r.body().get("consumers").asInt()).isEqualTo(1);

        Reply missing = get("/api/queues/%2F/nope");
        assertThat(missing.status()).isEqualTo(404);
        assertThat(missing.body().get("error").asText()).isEqualTo("Object Not Found");
        assertThat(get("/api/queues/other-vhost/jobs").status()).isEqualTo(404);
    }

    @Test
    void exchangesIncludeTheBuiltInsAndDeclaredOnes() throws Exception {
        broker.connect().createChannel().exchangeDeclare("events", "topic", true);

        Reply r = get("/api/exchanges");
        assertThat(r.status()).isEqualTo(200);
        assertThat(names(r.body())).contains("", "amq.direct", "amq.fanout", "amq.topic", "amq.headers", "amq.match",
                "events");
        JsonNode events = find(r.body(), "events");
        assertThat(events.get("type").asText()).isEqualTo("topic");
        assertThat(events.get("vhost").asText()).isEqualTo("/");
        assertThat(events.get("durable").asBoolean()).isTrue();
        assertThat(events.get("auto_delete").asBoolean()).isFalse();
        assertThat(events.get("internal").asBoolean()).isFalse();
        assertThat(events.get("arguments").isObject()).isTrue();
        assertThat(find(r.body(), "").get("type").asText()).isEqualTo("direct");
    }

    @Test
    void connectionsShowUserChannelsAndClientProperties() throws Exception {
        assertThat(get("/api/connections").body()).isEmpty();

        Connection conn = broker.track(broker.factory().newConnection("billing-worker"));
        conn.createChannel();
        conn.createChannel();

        await().atMost(Duration.ofSeconds(10)).untilAsserted(() ->
                assertThat(get("/api/connections").body().get(0).get("channels").asInt()).isEqualTo(2));
        Reply r = get("/api/connections");
        assertThat(r.status()).isEqualTo(200);
        assertThat(r.body()).hasSize(1);
        JsonNode c = r.body().get(0);
        // RabbitMQ names a connection "client address -> broker address"; scripts close connections by it.
        assertThat(c.get("name").asText()).matches("127\\.0\\.0\\.1:\\d+ -> 127\\.0\\.0\\.1:" + broker.port());
        assertThat(c.get("user").asText()).isEqualTo("guest");
        JsonNode props = c.get("client_properties");
        assertThat(props.get("connection_name").asText()).isEqualTo("billing-worker");
        assertThat(props.get("product").asText()).isEqualTo("RabbitMQ");
        assertThat(props.get("capabilities").get("publisher_confirms").asBoolean()).isTrue();

        conn.close();
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(get("/api/connections").body()).isEmpty());
    }

    @Test
    void alarmsHealthCheckIsOkWithoutAlarms() throws Exception {
        Reply r = get("/api/health/checks/alarms");
        assertThat(r.status()).isEqualTo(200);
        assertThat(r.body().get("status").asText()).isEqualTo("ok");
    }

    @Test
    void alarmsHealthCheckFailsWhileTheMemoryAlarmIsOn() throws Exception {
        Channel ch = broker.connect().createChannel();
        ch.queueDeclare("big", false, false, false, null);
        // Waiting messages live on disk; a delivery held unacked is what occupies memory.
        Channel holder = broker.connect().createChannel();
        holder.basicConsume("big", false, new com.rabbitmq.client.DefaultConsumer(holder));
        ch.basicPublish("", "big", null, new byte[HIGH_WATERMARK + 1]);

        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(get("/api/health/checks/alarms").status())
                .isEqualTo(503));
        Reply r = get("/api/health/checks/alarms");
        assertThat(r.body().get("status").asText()).isEqualTo("failed");
        assertThat(r.body().get("reason").asText()).contains("memory");

        holder.basicAck(0, true);
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(get("/api/health/checks/alarms").status())
                .isEqualTo(200));
    }

    @Test
    void unknownEndpointIsA404WithJsonError() throws Exception {
        Reply r = get("/api/nope");
        assertThat(r.status()).isEqualTo(404);
        assertThat(r.body().has("error")).isTrue();
        assertThat(r.body().has("reason")).isTrue();
    }

    private static List<String> names(JsonNode array) {
        List<String> names = new ArrayList<>();
        array.forEach(n -> names.add(n.get("name").asText()));
        return names;
    }

    private static JsonNode find(JsonNode array, String name) {
        for (JsonNode n : array) {
            if (n.get("name").asText().equals(name)) {
                return n;
            }
        }
        throw new AssertionError("no element named '" + name + "' in " + array);
    }
}
