package io.spool.broker.jobs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.GetResponse;
import com.rabbitmq.client.MessageProperties;
import io.spool.broker.testing.ManagementHttp;
import io.spool.broker.testing.TestBroker;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Policies as RabbitMQ has them: settings applied by name pattern to queues and exchanges, the
 * highest priority winning, to new and existing queues alike, combined with the arguments a
 * client declared the way RabbitMQ combines them (the lower limit wins; the client's
 * dead-letter exchange and overflow win), kept across a restart.
 */
class PolicyTest {

    @RegisterExtension
    final TestBroker broker = new TestBroker();

    private final ManagementHttp http = ManagementHttp.of(broker);
    private Connection conn;
    private Channel ch;

    @BeforeEach
    void connect() throws Exception {
        conn = broker.connect();
        ch = conn.createChannel();
        ch.confirmSelect();
    }

    /** Publishes and waits for the confirm: true for an ack, false for a nack. */
    private boolean publish(String queue, String body) throws Exception {
        return publish(queue, null, body);
    }

    private boolean publish(String queue, AMQP.BasicProperties props, String body) throws Exception {
        ch.basicPublish("", queue, props, body.getBytes(StandardCharsets.UTF_8));
        return ch.waitForConfirms(5_000);
    }

    private void publishAll(String queue, String... bodies) throws Exception {
        for (String b : bodies) {
            publish(queue, b);
        }
    }

    /** Takes every waiting message (auto-ack) and returns the bodies in order. */
    private List<String> drain(String queue) throws Exception {
        List<String> bodies = new ArrayList<>();
        GetResponse r;
        while ((r = ch.basicGet(queue, true)) != null) {
            bodies.add(new String(r.getBody(), StandardCharsets.UTF_8));
        }
        return bodies;
    }

    private void setPolicy(String name, String pattern, String definition) throws Exception {
        http.setPolicy(name, "{\"pattern\": \"" + pattern + "\", \"definition\": " + definition + "}");
    }

    @Test
    void aPolicyAppliesToQueuesDeclaredAfterIt() throws Exception {
        setPolicy("short-jobs", "^jobs\\\\.", "{\"max-length\": 2}");
        ch.queueDeclare("jobs.resize", false, false, false, null);
        ch.queueDeclare("other", false, false, false, null);
        publishAll("jobs.resize", "1", "2", "3", "4");
        publishAll("other", "1", "2", "3", "4");

        assertThat(drain("jobs.resize")).as("drop-head keeps the newest two").containsExactly("3", "4");
        assertThat(drain("other")).as("the pattern does not match").containsExactly("1", "2", "3", "4");
        JsonNode q = http.queue("jobs.resize");
        assertThat(q.path("policy").asText()).isEqualTo("short-jobs");
        assertThat(q.path("effective_policy_definition").path("max-length").asInt()).isEqualTo(2);
        assertThat(http.queue("other").path("policy").isNull()).isTrue();
    }

    @Test
    void settingChangingAndClearingAPolicyActsOnExistingQueues() throws Exception {
        ch.queueDeclare("jobs", false, false, false, null);
        publishAll("jobs", "1", "2", "3", "4", "5");

        setPolicy("limit", "^jobs$", "{\"max-length\": 3}");
        assertThat(ch.messageCount("jobs")).as("trimmed at once to the new limit").isEqualTo(3);

        setPolicy("limit", "^jobs$", "{\"max-length\": 1}");
        assertThat(ch.messageCount("jobs")).as("the changed policy applies at once").isEqualTo(1);

        http.clearPolicy("limit");
        publishAll("jobs", "6", "7");
        assertThat(drain("jobs")).as("no limit once cleared").containsExactly("5", "6", "7");
        assertThat(http.queue("jobs").path("policy").isNull()).isTrue();
    }

    @Test
    void theHighestPriorityPolicyWinsAndOnlyItApplies() throws Exception {
        ch.queueDeclare("jobs", false, false, false, null);
        http.setPolicy("broad", "{\"pattern\": \".*\", \"priority\": 1, \"definition\": {\"max-length\": 1}}");
        http.setPolicy("narrow", "{\"pattern\": \"^jobs$\", \"priority\": 5, "
                + "\"definition\": {\"overflow\": \"reject-publish\"}}");

        // Only "narrow" applies: no length limit at all, so nothing is rejected.
        assertThat(publish("jobs", "1")).isTrue();
        assertThat(publish("jobs", "2")).isTrue();
        assertThat(http.queue("jobs").path("policy").asText()).isEqualTo("narrow");

        // Raising the broad one above it switches the queue over, existing messages included.
        http.setPolicy("broad", "{\"pattern\": \".*\", \"priority\": 10, \"definition\": {\"max-length\": 1}}");
        assertThat(http.queue("jobs").path("policy").asText()).isEqualTo("broad");
        assertThat(drain("jobs")).containsExactly("2");
    }

    @Test
    void applyToDecidesWhetherQueuesOrExchangesTakeAPolicy() throws Exception {
        http.setPolicy("exchanges-only", "{\"pattern\": \"^orders$\", \"apply-to\": \"exchanges\", "
                + "\"definition\": {\"alternate-exchange\": \"unrouted\", \"max-length\": 1}}");
        ch.exchangeDeclare("unrouted", "fanout");
        ch.queueDeclare("unrouted-q", false, false, false, null);
        ch.queueBind("unrouted-q", "unrouted", "");
        ch.exchangeDeclare("orders", "direct");
        ch.queueDeclare("orders", false, false, false, null);
        ch.queueBind("orders", "orders", "new");

        ch.basicPublish("orders", "unknown-key", null, "lost without the policy".getBytes(StandardCharsets.UTF_8));
        ch.basicPublish("orders", "new", null, "1".getBytes(StandardCharsets.UTF_8));
        ch.basicPublish("orders", "new", null, "2".getBytes(StandardCharsets.UTF_8));
        ch.waitForConfirmsOrDie(5_000);

        assertThat(drain("unrouted-q")).as("the exchange took the policy's alternate exchange")
                .containsExactly("lost without the policy");
        assertThat(drain("orders")).as("the queue of the same name did not take max-length")
                .containsExactly("1", "2");
    }

    @Test
    void theLowerOfArgumentAndPolicyLimitWins() throws Exception {
        ch.queueDeclare("arg-lower", false, false, false, Map.of("x-max-length", 1));
        ch.queueDeclare("policy-lower", false, false, false, Map.of("x-max-length", 5));
        setPolicy("limit", "-lower$", "{\"max-length\": 2}");
        publishAll("arg-lower", "1", "2", "3");
        publishAll("policy-lower", "1", "2", "3");

        assertThat(drain("arg-lower")).containsExactly("3");
        assertThat(drain("policy-lower")).containsExactly("2", "3");
    }

    @Test
    void theClientsOverflowAndDeadLetterExchangeWinOverThePolicys() throws Exception {
        ch.queueDeclare("client-dlq", false, false, false, null);
        ch.queueDeclare("policy-dlq", false, false, false, null);
        ch.queueDeclare("jobs", false, false, false, Map.of("x-max-length", 1, "x-overflow", "reject-publish-dlx",
                "x-dead-letter-exchange", "", "x-dead-letter-routing-key", "client-dlq"));
        setPolicy("jobs", "^jobs$", "{\"overflow\": \"drop-head\", \"dead-letter-exchange\": \"amq.direct\","
                + " \"dead-letter-routing-key\": \"policy-dlq\"}");

        assertThat(publish("jobs", "kept")).isTrue();
        assertThat(publish("jobs", "refused")).as("reject-publish-dlx, the client's overflow").isFalse();

        assertThat(drain("jobs")).containsExactly("kept");
        assertThat(drain("client-dlq")).as("the client's dead-letter exchange and key").containsExactly("refused");
        assertThat(drain("policy-dlq")).isEmpty();
    }

    @Test
    void aPolicyTtlAndDeadLetterExchangeApplyToAnExistingQueue() throws Exception {
        ch.queueDeclare("expired", false, false, false, null);
        ch.queueDeclare("jobs", false, false, false, null);
        setPolicy("ttl", "^jobs$", "{\"message-ttl\": 100, \"dead-letter-exchange\": \"\", "
                + "\"dead-letter-routing-key\": \"expired\"}");

        publish("jobs", "too late");
        await().atMost(Duration.ofSeconds(10)).until(() -> ch.messageCount("expired") == 1);

        GetResponse dead = ch.basicGet("expired", true);
        assertThat(new String(dead.getBody(), StandardCharsets.UTF_8)).isEqualTo("too late");
        @SuppressWarnings("unchecked")
        List<Map<String, Object>> deaths = (List<Map<String, Object>>) dead.getProps().getHeaders().get("x-death");
        assertThat(deaths).singleElement().satisfies(d -> {
            assertThat(d.get("reason").toString()).isEqualTo("expired");
            assertThat(d.get("queue").toString()).isEqualTo("jobs");
        });
        assertThat(ch.messageCount("jobs")).isZero();
    }

    @Test
    void aPolicyDeliveryLimitAppliesToAnExistingQueue() throws Exception {
        ch.queueDeclare("jobs", false, false, false, null);
        setPolicy("poison", "^jobs$", "{\"delivery-limit\": 1}");
        publish("jobs", "poison");

        GetResponse first = ch.basicGet("jobs", false);
        ch.basicNack(first.getEnvelope().getDeliveryTag(), false, true);
        GetResponse second = ch.basicGet("jobs", false);
        assertThat(second.getEnvelope().isRedeliver()).isTrue();
        ch.basicNack(second.getEnvelope().getDeliveryTag(), false, true);

        assertThat(ch.basicGet("jobs", false)).as("past the limit, dropped (no DLX)").isNull();
    }

    @Test
    void aPolicyMaxLengthBytesAppliesToAnExistingQueue() throws Exception {
        ch.queueDeclare("jobs", false, false, false, null);
        publishAll("jobs", "aaaa", "bbbb", "cccc");
        setPolicy("bytes", "^jobs$", "{\"max-length-bytes\": 8}");
        assertThat(drain("jobs")).containsExactly("bbbb", "cccc");
    }

    @Test
    void aPolicyExpiresDeletesAnUnusedExistingQueue() throws Exception {
        ch.queueDeclare("idle", false, false, false, null);
        setPolicy("expire-idle", "^idle$", "{\"expires\": 200}");
        // Watched through the management API: a passive declare would count as a use.
        await().atMost(Duration.ofSeconds(10)).until(() -> http.get("/api/queues/%2F/idle").status() == 404);
    }

    @Test
    void policiesAndWhatTheyDoSurviveARestart() throws Exception {
        ch.queueDeclare("jobs", true, false, false, null);
        setPolicy("limit", "^jobs", "{\"max-length\": 2}");
        for (String b : List.of("1", "2", "3")) {
            publish("jobs", MessageProperties.PERSISTENT_TEXT_PLAIN, b);
        }

        broker.restart();
        conn = broker.connect();
        ch = conn.createChannel();
        ch.confirmSelect();

        JsonNode listed = http.get("/api/policies/%2F").body();
        assertThat(listed).hasSize(1);
        assertThat(listed.get(0).path("name").asText()).isEqualTo("limit");
        assertThat(listed.get(0).path("definition").path("max-length").asInt()).isEqualTo(2);
        // The recovered queue runs with its policy: a third message pushes the oldest out.
        publish("jobs", MessageProperties.PERSISTENT_TEXT_PLAIN, "4");
        assertThat(drain("jobs")).containsExactly("3", "4");
        // And a queue declared after the restart takes it too.
        ch.queueDeclare("jobs.new", true, false, false, null);
        assertThat(http.queue("jobs.new").path("policy").asText()).isEqualTo("limit");
    }

    @Test
    void aClearedPolicyStaysClearedAfterARestart() throws Exception {
        ch.queueDeclare("jobs", true, false, false, null);
        setPolicy("limit", "^jobs$", "{\"max-length\": 1}");
        http.clearPolicy("limit");

        broker.restart();
        conn = broker.connect();
        ch = conn.createChannel();
        ch.confirmSelect();

        assertThat(http.get("/api/policies").body()).isEmpty();
        publishAll("jobs", "1", "2");
        assertThat(drain("jobs")).containsExactly("1", "2");
    }
}
