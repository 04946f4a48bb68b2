package io.spool.broker.jobs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.GetResponse;
import com.rabbitmq.client.MessageProperties;
import com.rabbitmq.client.Return;
import io.spool.broker.testing.CloseReasons;
import io.spool.broker.testing.ManagementHttp;
import io.spool.broker.testing.TestBroker;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Message deduplication as RabbitMQ's message-deduplication plugin does it: a message carrying an
 * {@code x-deduplication-header} value already seen is dropped. A queue declared with
 * {@code x-message-deduplication} drops it while its twin is in the queue; an exchange of type
 * {@code x-message-deduplication} (or any exchange with the argument) drops it while the key is
 * in its cache ({@code x-cache-size}, {@code x-cache-ttl}, the message's own {@code x-cache-ttl}).
 */
class DeduplicationTest {

    private static final String KEY = "x-deduplication-header";

    @RegisterExtension
    final TestBroker broker = new TestBroker();

    private Connection conn;
    private Channel ch;

    @BeforeEach
    void connect() throws Exception {
        conn = broker.connect();
        ch = conn.createChannel();
        ch.confirmSelect();
    }

    private static AMQP.BasicProperties keyed(Object key) {
        return new AMQP.BasicProperties.Builder().headers(Map.of(KEY, key)).build();
    }

    private static AMQP.BasicProperties keyed(Object key, Object cacheTtl) {
        return new AMQP.BasicProperties.Builder().headers(Map.of(KEY, key, "x-cache-ttl", cacheTtl)).build();
    }

    /** Publishes and waits for the confirm: true for an ack, false for a nack. */
    private boolean publish(String exchange, String routingKey, AMQP.BasicProperties props, String body)
            throws Exception {
        ch.basicPublish(exchange, routingKey, props, body.getBytes(StandardCharsets.UTF_8));
        return ch.waitForConfirms(5_000);
    }

    private static Map<String, Object> dedupQueue() {
        return Map.of("x-message-deduplication", true);
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

    // ---- queue level ----

    @Test
    void aDuplicateOfAMessageInTheQueueIsDroppedAndStillConfirmed() throws Exception {
        ch.queueDeclare("jobs", false, false, false, dedupQueue());

        assertThat(publish("", "jobs", keyed("order-1"), "first")).isTrue();
        assertThat(publish("", "jobs", keyed("order-1"), "retry of first")).as("a duplicate is acked").isTrue();
        assertThat(publish("", "jobs", keyed("order-2"), "second")).isTrue();
        assertThat(publish("", "jobs", null, "no key")).isTrue();
        assertThat(publish("", "jobs", null, "no key")).isTrue();

        assertThat(drain("jobs")).containsExactly("first", "second", "no key", "no key");
    }

    @Test
    void aQueueHoldsAKeyWhileTheMessageIsUnackedAndReleasesItOnAck() throws Exception {
        ch.queueDeclare("jobs", false, false, false, dedupQueue());
        publish("", "jobs", keyed("k"), "first");

        GetResponse delivered = ch.basicGet("jobs", false);
        assertThat(publish("", "jobs", keyed("k"), "while unacked")).isTrue();
        assertThat(ch.messageCount("jobs")).as("dropped while its twin is unacked").isZero();

        ch.basicNack(delivered.getEnvelope().getDeliveryTag(), false, true);
        assertThat(publish("", "jobs", keyed("k"), "after requeue")).isTrue();
        assertThat(ch.messageCount("jobs")).as("the requeued twin still holds the key").isEqualTo(1);

        GetResponse again = ch.basicGet("jobs", false);
        ch.basicAck(again.getEnvelope().getDeliveryTag(), false);
        assertThat(publish("", "jobs", keyed("k"), "after ack")).isTrue();
        assertThat(drain("jobs")).containsExactly("after ack");
    }

    @Test
    void rejectPurgeAndAutoAckReleaseTheKey() throws Exception {
        ch.queueDeclare("jobs", false, false, false, dedupQueue());
        publish("", "jobs", keyed("rejected"), "1");
        ch.basicReject(ch.basicGet("jobs", false).getEnvelope().getDeliveryTag(), false);
        publish("", "jobs", keyed("rejected"), "2");
        assertThat(drain("jobs")).as("drained with auto-ack").containsExactly("2");

        publish("", "jobs", keyed("rejected"), "3");
        ch.queuePurge("jobs");
        publish("", "jobs", keyed("rejected"), "4");
        assertThat(drain("jobs")).containsExactly("4");
    }

    @Test
    void anExpiredMessageReleasesItsKey() throws Exception {
        ch.queueDeclare("expired", false, false, false, null);
        ch.queueDeclare("jobs", false, false, false,
                Map.of("x-message-deduplication", true, "x-dead-letter-exchange", "", "x-dead-letter-routing-key",
                        "expired"));
        AMQP.BasicProperties expiring = keyed("k").builder().expiration("500").build();
        publish("", "jobs", expiring, "expires");
        publish("", "jobs", keyed("k"), "dropped: its twin is in the queue");
        assertThat(ch.messageCount("jobs")).isEqualTo(1);

        await().atMost(Duration.ofSeconds(10)).until(() -> ch.messageCount("expired") == 1);
        publish("", "jobs", keyed("k"), "after expiry");
        assertThat(drain("jobs")).containsExactly("after expiry");
        assertThat(drain("expired")).containsExactly("expires");
    }

    @Test
    void keysCompareByValueAndType() throws Exception {
        ch.queueDeclare("jobs", false, false, false, dedupQueue());
        publish("", "jobs", keyed(7), "int 7");
        publish("", "jobs", keyed(7L), "long 7");
        publish("", "jobs", keyed("7"), "string 7");
        publish("", "jobs", keyed("7".getBytes(StandardCharsets.UTF_8)), "bytes 7");
        publish("", "jobs", keyed("7".getBytes(StandardCharsets.UTF_8)), "bytes 7 again");

        assertThat(drain("jobs")).containsExactly("int 7", "string 7", "bytes 7");
    }

    @Test
    void aQueueCacheSizeForgetsTheOldestKey() throws Exception {
        ch.queueDeclare("jobs", false, false, false, Map.of("x-message-deduplication", true, "x-cache-size", 2));
        publish("", "jobs", keyed("a"), "a");
        publish("", "jobs", keyed("b"), "b");
        publish("", "jobs", keyed("c"), "c");
        publish("", "jobs", keyed("a"), "a again: forgotten");
        publish("", "jobs", keyed("c"), "c again: remembered");

        assertThat(drain("jobs")).containsExactly("a", "b", "c", "a again: forgotten");
    }

    @Test
    void aDeduplicatingQueueRemembersTheKeysOfTheMessagesItRecovered() throws Exception {
        ch.queueDeclare("jobs", true, false, false, dedupQueue());
        publish("", "jobs", persistentKeyed("job-1"), "stored before the restart");

        broker.restart();
        conn = broker.connect();
        ch = conn.createChannel();
        ch.confirmSelect();

        assertThat(publish("", "jobs", persistentKeyed("job-1"), "retried after the restart")).isTrue();
        assertThat(publish("", "jobs", persistentKeyed("job-2"), "new")).isTrue();
        assertThat(drain("jobs")).containsExactly("stored before the restart", "new");
    }

    private static AMQP.BasicProperties persistentKeyed(String key) {
        return MessageProperties.PERSISTENT_TEXT_PLAIN.builder().headers(Map.of(KEY, key)).build();
    }

    @Test
    void badQueueArgumentsAre406NamingTheArgument() throws Exception {
        assertRefused(Map.of("x-message-deduplication", "yes"), "PRECONDITION_FAILED - invalid arg "
                + "'x-message-deduplication' for queue 'q' in vhost '/': must be a boolean, got longstr");
        assertRefused(Map.of("x-message-deduplication", true, "x-cache-size", 0), "PRECONDITION_FAILED - invalid arg "
                + "'x-cache-size' for queue 'q' in vhost '/': must be an integer greater than 0 and at most "
                + "2147483647, got 0");
        assertRefused(Map.of("x-message-deduplication", true, "x-cache-ttl", "soon"), "PRECONDITION_FAILED - invalid "
                + "arg 'x-cache-ttl' for queue 'q' in vhost '/': must be an integer greater than 0, got 'soon'");
        assertRefused(Map.of("x-message-deduplication", true, "x-cache-ttl", 1.5), "PRECONDITION_FAILED - invalid "
                + "arg 'x-cache-ttl' for queue 'q' in vhost '/': must be an integer greater than 0, got double");
        assertThat(ManagementHttp.of(broker).get("/api/queues/%2F/q").status()).as("nothing was created")
                .isEqualTo(404);
    }

    private void assertRefused(Map<String, Object> args, String text) throws Exception {
        Channel c = conn.createChannel();
        assertThatThrownBy(() -> c.queueDeclare("q", false, false, false, args))
                .satisfies(e -> CloseReasons.of(e).isChannelError(406, text));
    }

    // ---- exchange level ----

    @Test
    void thePluginsExchangeTypeRoutesLikeFanoutAndDropsDuplicates() throws Exception {
        ch.exchangeDeclare("orders", "x-message-deduplication", false, false, Map.of("x-cache-size", 10));
        ch.queueDeclare("billing", false, false, false, null);
        ch.queueDeclare("shipping", false, false, false, null);
        ch.queueBind("billing", "orders", "");
        ch.queueBind("shipping", "orders", "ignored");

        assertThat(publish("orders", "any", keyed("order-1"), "order 1")).isTrue();
        assertThat(publish("orders", "other", keyed("order-1"), "order 1 retried")).isTrue();
        assertThat(publish("orders", "any", keyed("order-2"), "order 2")).isTrue();
        assertThat(publish("orders", "any", null, "no key")).isTrue();

        assertThat(drain("billing")).containsExactly("order 1", "order 2", "no key");
        assertThat(drain("shipping")).containsExactly("order 1", "order 2", "no key");

        // Unlike a queue, the exchange remembers the key after the message is gone.
        assertThat(publish("orders", "any", keyed("order-1"), "order 1 once more")).isTrue();
        assertThat(ch.messageCount("billing")).isZero();
    }

    @Test
    void aDuplicateIsUnroutableSoAMandatoryPublisherGetsItBack() throws Exception {
        BlockingQueue<Return> returns = new LinkedBlockingQueue<>();
        ch.addReturnListener(returns::add);
        ch.exchangeDeclare("orders", "x-message-deduplication", false, false, Map.of("x-cache-size", 10));
        ch.queueDeclare("billing", false, false, false, null);
        ch.queueBind("billing", "orders", "");

        ch.basicPublish("orders", "k", true, keyed("order-1"), "first".getBytes(StandardCharsets.UTF_8));
        ch.basicPublish("orders", "k", true, keyed("order-1"), "again".getBytes(StandardCharsets.UTF_8));
        assertThat(ch.waitForConfirms(5_000)).isTrue();

        assertThat(returns).singleElement().satisfies(r -> {
            assertThat(r.getReplyCode()).isEqualTo(312);
            assertThat(r.getReplyText()).isEqualTo("NO_ROUTE");
            assertThat(new String(r.getBody(), StandardCharsets.UTF_8)).isEqualTo("again");
        });
        assertThat(drain("billing")).containsExactly("first");
    }

    @Test
    void aDuplicateGoesToTheAlternateExchangeAsAMessageThatMatchedNothing() throws Exception {
        ch.exchangeDeclare("duplicates", "fanout");
        ch.queueDeclare("seen-twice", false, false, false, null);
        ch.queueBind("seen-twice", "duplicates", "");
        ch.exchangeDeclare("orders", "x-message-deduplication", false, false,
                Map.of("x-cache-size", 10, "alternate-exchange", "duplicates"));
        ch.queueDeclare("billing", false, false, false, null);
        ch.queueBind("billing", "orders", "");

        publish("orders", "", keyed("order-1"), "first");
        publish("orders", "", keyed("order-1"), "again");

        assertThat(drain("billing")).containsExactly("first");
        assertThat(drain("seen-twice")).containsExactly("again");
    }

    @Test
    void anExchangeCacheSizeForgetsTheOldestKey() throws Exception {
        ch.exchangeDeclare("x", "x-message-deduplication", false, false, Map.of("x-cache-size", "2"));
        ch.queueDeclare("q", false, false, false, null);
        ch.queueBind("q", "x", "");
        for (String k : List.of("a", "b", "c", "a", "c", "b")) {
            publish("x", "", keyed(k), k);
        }
        // a, b, c fill the cache and push a out; a comes back and pushes b out; c is still
        // there; b, pushed out, passes again.
        assertThat(drain("q")).containsExactly("a", "b", "c", "a", "b");
    }

    @Test
    void anExchangeCacheTtlLetsTheKeyPassAgainOnlyAfterItPasses() throws Exception {
        ch.exchangeDeclare("x", "x-message-deduplication", false, false,
                Map.of("x-cache-size", 10, "x-cache-ttl", 300));
        ch.queueDeclare("q", false, false, false, null);
        ch.queueBind("q", "x", "");
        long start = System.nanoTime();
        publish("x", "", keyed("k"), "first");

        await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(20)).until(() -> {
            publish("x", "", keyed("k"), "again");
            return ch.messageCount("q") == 2;
        });
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isGreaterThanOrEqualTo(Duration.ofMillis(300));
        assertThat(drain("q")).containsExactly("first", "again");
    }

    @Test
    void aMessagesOwnCacheTtlHeaderBoundsHowLongItsKeyIsRemembered() throws Exception {
        ch.exchangeDeclare("x", "x-message-deduplication", false, false, Map.of("x-cache-size", 10));
        ch.queueDeclare("q", false, false, false, null);
        ch.queueBind("q", "x", "");
        long start = System.nanoTime();
        publish("x", "", keyed("short", 200), "short-lived key");
        publish("x", "", keyed("forever"), "key without ttl");

        await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(20)).until(() -> {
            publish("x", "", keyed("short"), "short again");
            return ch.messageCount("q") == 3;
        });
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isGreaterThanOrEqualTo(Duration.ofMillis(200));
        publish("x", "", keyed("forever"), "forever again");
        assertThat(drain("q")).containsExactly("short-lived key", "key without ttl", "short again");
    }

    @Test
    void theArgumentDeduplicatesAnExchangeOfAnyTypeWhichKeepsItsRouting() throws Exception {
        ch.exchangeDeclare("jobs", "direct", false, false, Map.of("x-message-deduplication", true));
        ch.queueDeclare("resize", false, false, false, null);
        ch.queueDeclare("notify", false, false, false, null);
        ch.queueBind("resize", "jobs", "resize");
        ch.queueBind("notify", "jobs", "notify");

        publish("jobs", "resize", keyed("photo-1"), "resize photo 1");
        publish("jobs", "notify", keyed("photo-1"), "same key, other route");
        publish("jobs", "notify", keyed("photo-2"), "notify photo 2");

        assertThat(drain("resize")).containsExactly("resize photo 1");
        assertThat(drain("notify")).containsExactly("notify photo 2");
    }

    @Test
    void anExchangeReachedThroughABindingDeduplicatesToo() throws Exception {
        ch.exchangeDeclare("front", "topic");
        ch.exchangeDeclare("dedup", "x-message-deduplication", false, false, Map.of("x-cache-size", 10));
        ch.exchangeBind("dedup", "front", "orders.#");
        ch.queueDeclare("audit", false, false, false, null);
        ch.queueBind("audit", "front", "#");
        ch.queueDeclare("orders", false, false, false, null);
        ch.queueBind("orders", "dedup", "");

        publish("front", "orders.new", keyed("o-1"), "order");
        publish("front", "orders.new", keyed("o-1"), "order retried");

        assertThat(drain("orders")).containsExactly("order");
        assertThat(drain("audit")).as("only the deduplicating exchange drops it")
                .containsExactly("order", "order retried");
    }

    @Test
    void aPublishRefusedDownstreamIsNotRememberedSoItsRetryGetsThrough() throws Exception {
        ch.exchangeDeclare("x", "x-message-deduplication", false, false, Map.of("x-cache-size", 10));
        ch.queueDeclare("q", false, false, false, Map.of("x-max-length", 1, "x-overflow", "reject-publish"));
        ch.queueBind("q", "x", "");
        publish("x", "", null, "fills the queue");

        assertThat(publish("x", "", keyed("job"), "refused")).as("nacked: the queue is full").isFalse();
        assertThat(drain("q")).containsExactly("fills the queue");
        assertThat(publish("x", "", keyed("job"), "retried")).isTrue();
        assertThat(drain("q")).containsExactly("retried");
    }

    @Test
    void badExchangeArgumentsAre406NamingTheArgument() throws Exception {
        assertExchangeRefused("x-message-deduplication", Map.of(), "PRECONDITION_FAILED - invalid arg 'x-cache-size' "
                + "for exchange 'x' in vhost '/': required by exchange type 'x-message-deduplication': an integer "
                + "greater than 0");
        assertExchangeRefused("x-message-deduplication", Map.of("x-cache-size", -5), "PRECONDITION_FAILED - invalid "
                + "arg 'x-cache-size' for exchange 'x' in vhost '/': must be an integer greater than 0 and at most "
                + "2147483647, got -5");
        assertExchangeRefused("x-message-deduplication", Map.of("x-cache-size", 10, "x-cache-ttl", "1h"),
                "PRECONDITION_FAILED - invalid arg 'x-cache-ttl' for exchange 'x' in vhost '/': must be an integer "
                        + "greater than 0, got '1h'");
        assertExchangeRefused("direct", Map.of("x-message-deduplication", 1), "PRECONDITION_FAILED - invalid arg "
                + "'x-message-deduplication' for exchange 'x' in vhost '/': must be a boolean, got signedint");
        assertExchangeRefused("x-message-deduplication", Map.of("x-cache-size", 10, "x-cache-persistence", "tape"),
                "PRECONDITION_FAILED - invalid arg 'x-cache-persistence' for exchange 'x' in vhost '/': must be "
                        + "'disk' or 'memory', got 'tape'");
        assertThat(ManagementHttp.of(broker).get("/api/exchanges/%2F/x").status()).as("nothing was created")
                .isEqualTo(404);
    }

    private void assertExchangeRefused(String type, Map<String, Object> args, String text) throws Exception {
        Channel c = conn.createChannel();
        assertThatThrownBy(() -> c.exchangeDeclare("x", type, false, false, args))
                .satisfies(e -> CloseReasons.of(e).isChannelError(406, text));
    }

    @Test
    void aDurableDeduplicationExchangeComesBackAfterARestart() throws Exception {
        ch.exchangeDeclare("orders", "x-message-deduplication", true, false, Map.of("x-cache-size", 10));
        ch.queueDeclare("billing", true, false, false, null);
        ch.queueBind("billing", "orders", "");

        broker.restart();
        conn = broker.connect();
        ch = conn.createChannel();
        ch.confirmSelect();

        ch.exchangeDeclarePassive("orders");
        publish("orders", "", keyed("o-1"), "first");
        publish("orders", "", keyed("o-1"), "again");
        assertThat(drain("billing")).containsExactly("first");
    }

    private void reconnect() throws Exception {
        conn = broker.connect();
        ch = conn.createChannel();
        ch.confirmSelect();
    }

    private void declareOrders(String persistence) throws Exception {
        ch.exchangeDeclare("orders", "x-message-deduplication", true, false,
                Map.of("x-cache-size", 10, "x-cache-persistence", persistence));
        ch.queueDeclare("billing", true, false, false, null);
        ch.queueBind("billing", "orders", "");
    }

    @Test
    void anExchangeKeepingItsKeysOnDiskStillKnowsThemAfterARestart() throws Exception {
        declareOrders("disk");
        publish("orders", "", keyed("o-1"), "first");
        assertThat(drain("billing")).containsExactly("first");

        broker.restart();
        reconnect();

        assertThat(publish("orders", "", keyed("o-1"), "retried after the restart")).isTrue();
        publish("orders", "", keyed("o-2"), "new");
        assertThat(drain("billing")).containsExactly("new");
    }

    @Test
    void anExchangeKeepingItsKeysInMemoryForgetsThemInARestart() throws Exception {
        declareOrders("memory");
        publish("orders", "", keyed("o-1"), "first");
        assertThat(drain("billing")).containsExactly("first");

        broker.restart();
        reconnect();

        publish("orders", "", keyed("o-1"), "again after the restart");
        assertThat(drain("billing")).containsExactly("again after the restart");
    }

    @Test
    void keysOnDiskComeBackWithTheirTypesTtlsAndTheCacheSize() throws Exception {
        ch.exchangeDeclare("orders", "x-message-deduplication", true, false,
                Map.of("x-cache-size", 3, "x-cache-persistence", "disk"));
        ch.queueDeclare("billing", true, false, false, null);
        ch.queueBind("billing", "orders", "");
        publish("orders", "", keyed("pushed out"), "1");
        publish("orders", "", keyed(7), "2");
        publish("orders", "", keyed(new byte[] {1, 2}), "3");
        publish("orders", "", keyed("short-lived", 200), "4");
        long shortLivedAt = System.nanoTime();
        drain("billing");

        broker.restart();
        reconnect();
        // The short-lived key is past its TTL (waited for here if the restart was quicker).
        await().until(() -> System.nanoTime() - shortLivedAt > Duration.ofMillis(250).toNanos());

        for (Object k : List.of(7, 7L, new byte[] {1, 2}, "7", "short-lived", "pushed out")) {
            publish("orders", "", keyed(k), String.valueOf(k instanceof byte[] ? "bytes" : k));
        }
        // 7 as an int or a long and the byte array are remembered; "7" is another key, the
        // short-lived key has expired, and the first was pushed out by the size of 3.
        assertThat(drain("billing")).containsExactly("7", "short-lived", "pushed out");
    }

    @Test
    void anExchangeThatRemembersManyKeysKeepsItsLogSmall() throws Exception {
        ch.exchangeDeclare("orders", "x-message-deduplication", true, false,
                Map.of("x-cache-size", 10, "x-cache-persistence", "disk"));
        ch.queueDeclare("billing", true, false, false, null);
        ch.queueBind("billing", "orders", "");
        int keys = 8_000;
        for (int i = 0; i < keys; i++) {
            ch.basicPublish("orders", "", keyed("k" + i), new byte[0]);
        }
        ch.waitForConfirmsOrDie(30_000);
        ch.queuePurge("billing");

        long logBytes;
        try (var files = java.nio.file.Files.walk(broker.dataDir().resolve("dedup"))) {
            logBytes = files.filter(java.nio.file.Files::isRegularFile).mapToLong(p -> p.toFile().length()).sum();
        }
        // A record is about 34 bytes: 8,000 of them would be 270 KB.
        assertThat(logBytes).isPositive().isLessThan(96 * 1024);

        broker.restart();
        reconnect();
        publish("orders", "", keyed("k" + (keys - 1)), "newest, remembered");
        publish("orders", "", keyed("k" + (keys - 10)), "tenth newest, remembered");
        publish("orders", "", keyed("k" + (keys - 11)), "eleventh newest");
        publish("orders", "", keyed("k0"), "oldest");
        assertThat(drain("billing")).containsExactly("eleventh newest", "oldest");
    }

    @Test
    void aDeletedExchangeTakesItsKeysWithIt() throws Exception {
        declareOrders("disk");
        publish("orders", "", keyed("o-1"), "first");
        ch.exchangeDelete("orders");
        declareOrders("disk");

        publish("orders", "", keyed("o-1"), "to the new exchange");
        assertThat(drain("billing")).containsExactly("first", "to the new exchange");
        broker.restart();
        reconnect();
        publish("orders", "", keyed("o-1"), "remembered by the new exchange");
        assertThat(drain("billing")).isEmpty();
    }

    @Test
    void theManagementApiCountsTheDuplicatesDropped() throws Exception {
        ch.queueDeclare("jobs", false, false, false, dedupQueue());
        ch.exchangeDeclare("orders", "x-message-deduplication", false, false, Map.of("x-cache-size", 10));
        ch.queueBind("jobs", "orders", "");
        publish("orders", "", keyed("o-1"), "first");
        publish("orders", "", keyed("o-1"), "dropped by the exchange");
        publish("", "jobs", keyed("o-1"), "dropped by the queue");
        publish("", "jobs", keyed("o-1"), "dropped by the queue");

        ManagementHttp http = ManagementHttp.of(broker);
        assertThat(http.queue("jobs").path("message_stats").path("deduplicated").asLong()).isEqualTo(2);
        JsonNode exchange = http.get("/api/exchanges/%2F/orders").body();
        assertThat(exchange.path("type").asText()).isEqualTo("x-message-deduplication");
        assertThat(exchange.path("message_stats").path("deduplicated").asLong()).isEqualTo(1);
    }

    @Test
    void aPolicyTurnsDeduplicationOnAndOffForAnExistingQueue() throws Exception {
        ch.queueDeclare("jobs", false, false, false, null);
        ManagementHttp http = ManagementHttp.of(broker);
        http.setPolicy("dedup", "{\"pattern\": \"^jobs$\", \"definition\": {\"x-message-deduplication\": true}}");

        publish("", "jobs", keyed("k"), "first");
        publish("", "jobs", keyed("k"), "dropped");
        assertThat(ch.messageCount("jobs")).isEqualTo(1);

        http.clearPolicy("dedup");
        publish("", "jobs", keyed("k"), "passes without the policy");
        assertThat(drain("jobs")).containsExactly("first", "passes without the policy");
    }

    @Test
    void aPolicySizesTheCacheOfAnExchangeThatDeduplicates() throws Exception {
        Map<String, Object> args = new HashMap<>();
        args.put("x-message-deduplication", true);
        ch.exchangeDeclare("x", "fanout", false, false, args);
        ch.queueDeclare("q", false, false, false, null);
        ch.queueBind("q", "x", "");
        ManagementHttp.of(broker).setPolicy("small-cache",
                "{\"pattern\": \"^x$\", \"apply-to\": \"exchanges\", \"definition\": {\"cache-size\": 1}}");

        for (String k : List.of("a", "b", "a")) {
            publish("x", "", keyed(k), k);
        }
        assertThat(drain("q")).as("a cache of one forgets a when b comes").containsExactly("a", "b", "a");
    }
}
