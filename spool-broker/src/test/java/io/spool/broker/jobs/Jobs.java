package io.spool.broker.jobs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.GetResponse;
import io.spool.broker.model.Queue;
import io.spool.broker.testing.TestBroker;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.awaitility.core.ConditionFactory;

/**
 * What the job-semantics tests share: the headers a dead letter carries, read as plain Java
 * values (the client gives long strings as {@code LongString}), the management API's view of a
 * queue, and the broker's own view of a queue, which unlike a passive declare does not count
 * as using it (x-expires).
 */
final class Jobs {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private Jobs() {}

    static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    static String text(byte[] body) {
        return new String(body, StandardCharsets.UTF_8);
    }

    /** Awaitility with a short poll, for conditions that become true within a second or so. */
    static ConditionFactory eventually() {
        return await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(20));
    }

    /** Asserts that a condition holds for a while (the way to say "this does not happen"). */
    static ConditionFactory throughout(long millis) {
        return await().during(Duration.ofMillis(millis)).atMost(Duration.ofMillis(millis + 5_000))
                .pollInterval(Duration.ofMillis(20));
    }

    static AMQP.BasicProperties.Builder props() {
        return new AMQP.BasicProperties.Builder();
    }

    static AMQP.BasicProperties persistent() {
        return props().deliveryMode(2).build();
    }

    static AMQP.BasicProperties expiring(String expiration) {
        return props().expiration(expiration).build();
    }

    static AMQP.BasicProperties priority(int p) {
        return props().priority(p).build();
    }

    /** Arguments in the order given: key, value, key, value... */
    static Map<String, Object> args(Object... keysAndValues) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (int i = 0; i < keysAndValues.length; i += 2) {
            m.put((String) keysAndValues[i], keysAndValues[i + 1]);
        }
        return m;
    }

    /**
     * A round trip on the channel: the broker handles a channel's methods in order, so every
     * publish, ack or nack sent before has been applied when this returns.
     */
    static void sync(Channel ch) throws Exception {
        ch.exchangeDeclarePassive("amq.direct");
    }

    /** A fanout exchange "dlx" and the queue "dlq" bound to it: where a test's dead letters land. */
    static void deadLetterQueue(Channel ch) throws Exception {
        ch.exchangeDeclare("dlx", "fanout");
        ch.queueDeclare("dlq", false, false, false, null);
        ch.queueBind("dlq", "dlx", "");
    }

    /** A basic.get with manual ack that must find a message. */
    static GetResponse get(Channel ch, String queue) throws Exception {
        GetResponse r = ch.basicGet(queue, false);
        assertThat(r).as("a message in '%s'", queue).isNotNull();
        return r;
    }

    /** Waits for the next message of a queue, by basic.get (no ack needed afterwards). */
    static GetResponse awaitGet(Channel ch, String queue) {
        GetResponse[] got = new GetResponse[1];
        eventually().until(() -> (got[0] = ch.basicGet(queue, true)) != null);
        return got[0];
    }

    // ---- headers ----

    /** A header value as plain Java: strings for long strings, recursively in arrays and tables. */
    static Object plain(Object v) {
        if (v instanceof com.rabbitmq.client.LongString ls) {
            return ls.toString();
        }
        if (v instanceof List<?> list) {
            List<Object> out = new ArrayList<>();
            for (Object o : list) {
                out.add(plain(o));
            }
            return out;
        }
        if (v instanceof Map<?, ?> map) {
            Map<String, Object> out = new LinkedHashMap<>();
            for (Map.Entry<?, ?> e : map.entrySet()) {
                out.put(String.valueOf(e.getKey()), plain(e.getValue()));
            }
            return out;
        }
        return v;
    }

    static Object header(AMQP.BasicProperties props, String name) {
        return props.getHeaders() == null ? null : plain(props.getHeaders().get(name));
    }

    /** The x-death entries, most recent first, as plain maps. */
    @SuppressWarnings("unchecked")
    static List<Map<String, Object>> xDeath(AMQP.BasicProperties props) {
        Object v = header(props, "x-death");
        assertThat(v).as("x-death header in %s", props.getHeaders()).isInstanceOf(List.class);
        return (List<Map<String, Object>>) v;
    }

    /** The (queue, reason, count) of each x-death entry, most recent first. */
    static List<String> deathSummary(AMQP.BasicProperties props) {
        List<String> out = new ArrayList<>();
        for (Map<String, Object> d : xDeath(props)) {
            out.add(d.get("queue") + "/" + d.get("reason") + "/" + d.get("count"));
        }
        return out;
    }

    // ---- the broker's view ----

    /** The queue as the broker holds it, or null once it is gone. */
    static Queue queue(TestBroker broker, String name) {
        return broker.broker().vhost().queue(name);
    }

    static int ready(TestBroker broker, String name) {
        return queue(broker, name).messageCount();
    }

    /** GET /api/queues/%2F/{name} of the management API. */
    static JsonNode managementQueue(TestBroker broker, String name) throws Exception {
        String path = "/api/queues/%2F/" + URLEncoder.encode(name, StandardCharsets.UTF_8);
        HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + broker.broker().httpPort() + path))
                .timeout(Duration.ofSeconds(10)).GET().build();
        HttpResponse<String> r = HTTP.send(request, HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
        assertThat(r.statusCode()).as("GET %s: %s", path, r.body()).isEqualTo(200);
        return JSON.readTree(r.body());
    }

    /** One counter of {@code message_stats} for a queue, from the management API. */
    static long stat(TestBroker broker, String queue, String counter) throws Exception {
        JsonNode stats = managementQueue(broker, queue).get("message_stats");
        assertThat(stats).as("message_stats of '%s'", queue).isNotNull();
        assertThat(stats.has(counter)).as("message_stats.%s of '%s'", counter, queue).isTrue();
        return stats.get(counter).asLong();
    }
}
