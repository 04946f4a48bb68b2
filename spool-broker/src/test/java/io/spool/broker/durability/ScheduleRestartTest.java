package io.spool.broker.durability;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.GetResponse;
import io.spool.broker.testing.TimedConsumer;
import io.spool.broker.testing.TimedConsumer.Arrival;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The schedule across restarts of a broker in its own process: delayed messages published to a
 * durable x-delayed-message exchange and confirmed are delivered after a kill -9 or a clean
 * stop, each once, never before it is due, and those that fell due while the broker was down
 * as soon as it is back. Broker-side retries keep their count whether they wait in the
 * schedule or are back in their queue.
 */
class ScheduleRestartTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path tmp;

    private static AMQP.BasicProperties delayed(long millis, boolean persistent) {
        Map<String, Object> headers = new HashMap<>();
        headers.put("x-delay", millis);
        return new AMQP.BasicProperties.Builder().headers(headers).deliveryMode(persistent ? 2 : 1).build();
    }

    private static void declare(Channel ch) throws Exception {
        ch.exchangeDeclare("later", "x-delayed-message", true, false, Map.of("x-delayed-type", "direct"));
        ch.queueDeclare("jobs", true, false, false, null);
        ch.queueBind("jobs", "later", "job");
    }

    /** Publishes with confirms; returns each message's earliest due time (publish time + delay) by body. */
    private static Map<String, Long> publish(Channel ch, String prefix, int n, long minDelay, long spread,
                                             boolean persistent) throws Exception {
        Map<String, Long> due = new HashMap<>();
        for (int i = 0; i < n; i++) {
            long delay = minDelay + spread * i / Math.max(1, n - 1);
            String body = prefix + i;
            due.put(body, System.currentTimeMillis() + delay);
            ch.basicPublish("later", "job", delayed(delay, persistent), body.getBytes(StandardCharsets.UTF_8));
        }
        ch.waitForConfirmsOrDie(30_000);
        return due;
    }

    private static JsonNode get(BrokerProcess broker, String path) throws Exception {
        HttpRequest request = HttpRequest.newBuilder(URI.create(broker.httpUri() + path))
                .timeout(Duration.ofSeconds(10)).GET().build();
        HttpResponse<String> r = HttpClient.newHttpClient().send(request, HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as("GET %s: %s", path, r.body()).isEqualTo(200);
        return JSON.readTree(r.body());
    }

    private static long delayedIn(BrokerProcess broker) throws Exception {
        return get(broker, "/api/overview").get("messages_delayed").asLong();
    }

    /** Every message arrived once, none before it was due. */
    private static void assertOnTimeAndOnce(TimedConsumer consumer, Map<String, Long> due) {
        List<Arrival> arrivals = consumer.all();
        assertThat(arrivals).extracting(Arrival::text).doesNotHaveDuplicates()
                .containsExactlyInAnyOrderElementsOf(due.keySet());
        for (Arrival a : arrivals) {
            assertThat(a.atMillis()).as("arrival of %s", a.text()).isGreaterThanOrEqualTo(due.get(a.text()));
            assertThat(a.header("x-delay")).as("x-delay of %s", a.text()).isInstanceOf(Long.class);
            assertThat((Long) a.header("x-delay")).isNegative();
        }
    }

    @Test
    void confirmedDelayedMessagesSurviveAKillMinus9AndArriveOnceAndNotBeforeTheyAreDue() throws Exception {
        Path data = tmp.resolve("data");
        Map<String, Long> due = new HashMap<>();
        Map<String, Long> overdue;
        try (BrokerProcess broker = BrokerProcess.start(data)) {
            Channel ch = broker.connect().createChannel();
            declare(ch);
            ch.confirmSelect();
            // Due while the broker is down, and due after it is back.
            overdue = publish(ch, "overdue-", 20, 300, 200, true);
            due.putAll(overdue);
            due.putAll(publish(ch, "later-", 200, 5_000, 3_000, true));
            broker.kill();
        }

        try (BrokerProcess broker = BrokerProcess.start(data)) {
            long ready = System.currentTimeMillis();
            TimedConsumer jobs = TimedConsumer.on(broker.connect().createChannel(), "jobs");
            await().atMost(Duration.ofSeconds(30)).until(() -> jobs.count() >= due.size());
            await().atMost(Duration.ofSeconds(10)).until(() -> delayedIn(broker) == 0);

            assertOnTimeAndOnce(jobs, due);
            for (Arrival a : jobs.all()) {
                if (overdue.containsKey(a.text())) {
                    assertThat(a.atMillis() - ready).as("%s, due while the broker was down", a.text())
                            .isLessThan(3_000);
                }
            }
        }
    }

    @Test
    void aCleanStopKeepsTheExchangeAndEveryDelayedMessagePersistentOrNot() throws Exception {
        Path data = tmp.resolve("data");
        Map<String, Long> due = new HashMap<>();
        try (BrokerProcess broker = BrokerProcess.start(data)) {
            Channel ch = broker.connect().createChannel();
            declare(ch);
            ch.confirmSelect();
            due.putAll(publish(ch, "persistent-", 50, 4_000, 2_000, true));
            // As the plugin does, the schedule keeps transient messages across a restart too.
            due.putAll(publish(ch, "transient-", 50, 4_000, 2_000, false));
            assertThat(broker.stop()).isZero();
        }

        try (BrokerProcess broker = BrokerProcess.start(data)) {
            JsonNode later = null;
            for (JsonNode x : get(broker, "/api/exchanges")) {
                if (x.get("name").asText().equals("later")) {
                    later = x;
                }
            }
            assertThat(later).as("the durable delayed exchange after the restart").isNotNull();
            assertThat(later.get("type").asText()).isEqualTo("x-delayed-message");
            assertThat(later.get("arguments").get("x-delayed-type").asText()).isEqualTo("direct");
            assertThat(later.get("messages_delayed").asLong()).as("still scheduled after the restart")
                    .isBetween(1L, 100L);

            Channel ch = broker.connect().createChannel();
            TimedConsumer jobs = TimedConsumer.on(ch, "jobs");
            ch.confirmSelect();
            due.putAll(publish(ch, "after-", 5, 500, 0, true));

            await().atMost(Duration.ofSeconds(30)).until(() -> jobs.count() >= due.size());
            await().atMost(Duration.ofSeconds(10)).until(() -> delayedIn(broker) == 0);
            assertOnTimeAndOnce(jobs, due);
        }
    }

    private static Object deliveryCount(GetResponse r) {
        Map<String, Object> headers = r.getProps().getHeaders();
        return headers == null ? null : headers.get("x-delivery-count");
    }

    private static GetResponse awaitGet(Channel ch, String queue) {
        GetResponse[] got = new GetResponse[1];
        await().atMost(Duration.ofSeconds(20)).until(() -> (got[0] = ch.basicGet(queue, false)) != null);
        return got[0];
    }

    @Test
    void retriesInTheScheduleAndBackInTheQueueKeepTheirCountAcrossAKillMinus9() throws Exception {
        Path data = tmp.resolve("data");
        Map<String, Object> args = Map.of("x-retry-max-count", 3, "x-retry-delay", 1_500,
                "x-retry-delay-multiplier", 2);
        try (BrokerProcess broker = BrokerProcess.start(data)) {
            Channel ch = broker.connect().createChannel();
            ch.queueDeclare("work", true, false, false, args);
            ch.confirmSelect();
            for (String body : List.of("a", "b")) {
                ch.basicPublish("", "work", new AMQP.BasicProperties.Builder().deliveryMode(2).build(),
                        body.getBytes(StandardCharsets.UTF_8));
            }
            ch.waitForConfirmsOrDie(10_000);
            GetResponse a = ch.basicGet("work", false);
            GetResponse b = ch.basicGet("work", false);
            ch.basicReject(a.getEnvelope().getDeliveryTag(), false);
            // "a" is back in the queue, its first retry; "b" waits in the schedule for its own.
            await().atMost(Duration.ofSeconds(10)).until(() ->
                    get(broker, "/api/queues/%2F/work").get("messages_ready").asLong() == 1);
            ch.basicReject(b.getEnvelope().getDeliveryTag(), false);
            await().atMost(Duration.ofSeconds(10)).until(() ->
                    get(broker, "/api/queues/%2F/work").get("messages_delayed").asLong() == 1);
            broker.kill();
        }

        try (BrokerProcess broker = BrokerProcess.start(data)) {
            Channel ch = broker.connect().createChannel();
            Map<String, GetResponse> retried = new HashMap<>();
            await().atMost(Duration.ofSeconds(20)).until(() -> {
                GetResponse r = ch.basicGet("work", false);
                if (r != null && deliveryCount(r) != null) {
                    retried.put(new String(r.getBody(), StandardCharsets.UTF_8), r);
                }
                return retried.size() == 2;
            });
            // A crash just after a retry was scheduled may also bring back the original (count
            // unset); never a lost message, never a lost count.
            assertThat(retried.values()).allSatisfy(r -> {
                assertThat(deliveryCount(r)).isEqualTo(1L);
                assertThat(r.getEnvelope().isRedeliver()).isTrue();
            });

            long rejected = System.currentTimeMillis();
            ch.basicReject(retried.get("a").getEnvelope().getDeliveryTag(), false);
            GetResponse again;
            do {
                again = awaitGet(ch, "work");
            } while (!"a".equals(new String(again.getBody(), StandardCharsets.UTF_8)));
            assertThat(deliveryCount(again)).as("the second retry of 'a'").isEqualTo(2L);
            assertThat(System.currentTimeMillis() - rejected).as("its delay, 1500 ms * 2").isGreaterThanOrEqualTo(3_000);
        }
    }
}
