package io.spool.broker.amqp;

import static io.spool.broker.amqp.AmqpFailures.assertClose;
import static io.spool.broker.amqp.AmqpFailures.channelError;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.DefaultConsumer;
import com.rabbitmq.client.GetResponse;
import io.spool.broker.testing.TestBroker;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Queue declaration, lifetimes, binding, purging and deletion, as RabbitMQ does them. */
class QueueTest {

    private static final String LOCKED = "RESOURCE_LOCKED - cannot obtain exclusive access to locked queue '%s' in "
            + "vhost '/'. It could be originally declared on another connection or the exclusive property value "
            + "does not match that of the original declaration.";

    @RegisterExtension
    final TestBroker broker = new TestBroker();

    private Connection conn;
    private Channel ch;
    private TopologyProbe probe;

    @BeforeEach
    void connect() throws Exception {
        conn = broker.connect();
        ch = conn.createChannel();
        probe = new TopologyProbe(conn);
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    // ---- declare ----

    @Test
    void serverNamedQueuesAreAmqGenWith22Base64UrlCharactersAndDistinct() throws Exception {
        Set<String> names = new HashSet<>();
        for (int i = 0; i < 20; i++) {
            AMQP.Queue.DeclareOk ok = ch.queueDeclare();
            assertThat(ok.getQueue()).matches("amq\\.gen-[A-Za-z0-9_-]{22}");
            assertThat(ok.getMessageCount()).isZero();
            assertThat(ok.getConsumerCount()).isZero();
            names.add(ok.getQueue());
        }
        assertThat(names).hasSize(20);
        // A server-named queue is exclusive to this connection and usable by its name.
        String q = names.iterator().next();
        probe.publish("", q, null, "hi");
        assertThat(probe.drainBodies(q)).containsEntry(q, List.of("hi"));
    }

    @Test
    void passiveDeclareOfAMissingQueueIsNotFound() {
        assertClose(channelError(() -> ch.queueDeclarePassive("nope")),
                404, "NOT_FOUND - no queue 'nope' in vhost '/'");
    }

    @Test
    void declareOkReportsReadyMessagesAndConsumers() throws Exception {
        AMQP.Queue.DeclareOk fresh = ch.queueDeclare("work", false, false, false, null);
        assertThat(fresh.getQueue()).isEqualTo("work");
        assertThat(fresh.getMessageCount()).isZero();
        assertThat(fresh.getConsumerCount()).isZero();

        for (int i = 0; i < 3; i++) {
            probe.publish("", "work", null, "m" + i);
        }
        Channel getter = conn.createChannel();
        GetResponse unacked = getter.basicGet("work", false);
        assertThat(unacked).isNotNull();
        Channel consumerChannel = conn.createChannel();
        consumerChannel.basicQos(1);
        consumerChannel.basicConsume("work", false, (tag, d) -> { }, tag -> { });
        consumerChannel.basicConsume("work", false, (tag, d) -> { }, tag -> { });

        // Every message is now held unacked (one got, two delivered); those are not counted.
        await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> {
            AMQP.Queue.DeclareOk again = ch.queueDeclare("work", false, false, false, null);
            assertThat(again.getMessageCount()).isEqualTo(0);
            assertThat(again.getConsumerCount()).isEqualTo(2);
        });
        AMQP.Queue.DeclareOk passive = ch.queueDeclarePassive("work");
        assertThat(passive.getConsumerCount()).isEqualTo(2);
    }

    @Test
    void durableExclusiveAndAutoDeleteQueuesCanBeDeclaredAndRedeclared() throws Exception {
        ch.queueDeclare("durable", true, false, false, null);
        ch.queueDeclare("durable", true, false, false, null);
        ch.queueDeclare("exclusive", false, true, false, null);
        ch.queueDeclare("exclusive", false, true, false, null);
        ch.queueDeclare("auto", false, false, true, null);
        ch.queueDeclare("auto", false, false, true, null);
        for (String q : List.of("durable", "exclusive", "auto")) {
            assertThat(ch.queueDeclarePassive(q).getQueue()).isEqualTo(q);
        }
    }

    @Test
    void anExclusiveQueueIsNeverDurableSoItsDurableFlagIsNotCompared() throws Exception {
        ch.queueDeclare("mine", true, true, false, null);
        ch.queueDeclare("mine", false, true, false, null);
        assertThat(ch.isOpen()).isTrue();
    }

    @Test
    void queueNamesMayNotUseTheAmqPrefixButPassiveDeclaresMay() throws Exception {
        String generated = ch.queueDeclare().getQueue();
        assertClose(channelError(() -> conn.createChannel().queueDeclare("amq.mine", false, false, false, null)),
                403, "ACCESS_REFUSED - queue name 'amq.mine' contains reserved prefix 'amq.*'");
        // Checked before lookup: even an existing amq.gen queue cannot be redeclared actively.
        assertClose(channelError(() -> conn.createChannel().queueDeclare(generated, false, true, false, null)),
                403, "queue name '" + generated + "' contains reserved prefix 'amq.*'");
        assertThat(ch.queueDeclarePassive(generated).getQueue()).isEqualTo(generated);
    }

    // ---- redeclare equivalence ----

    @Test
    void redeclaringWithDifferentDurabilityOrAutoDeleteClosesTheChannel() throws Exception {
        ch.queueDeclare("q", true, false, false, null);
        assertClose(channelError(() -> conn.createChannel().queueDeclare("q", false, false, false, null)),
                406, "PRECONDITION_FAILED - inequivalent arg 'durable' for queue 'q' in vhost '/': "
                        + "received 'false' but current is 'true'");
        assertClose(channelError(() -> conn.createChannel().queueDeclare("q", true, false, true, null)),
                406, "PRECONDITION_FAILED - inequivalent arg 'auto_delete' for queue 'q' in vhost '/': "
                        + "received 'true' but current is 'false'");
        assertThat(conn.isOpen()).isTrue();
    }

    @Test
    void redeclaringWithDifferentArgumentsReportsThemAsRabbitMqDoes() throws Exception {
        ch.queueDeclare("q", false, false, false, Map.of("x-message-ttl", 1000));

        assertClose(channelError(() -> conn.createChannel().queueDeclare("q", false, false, false,
                        Map.of("x-message-ttl", 2000))),
                406, "PRECONDITION_FAILED - inequivalent arg 'x-message-ttl' for queue 'q' in vhost '/': "
                        + "received '2000' but current is '1000'");
        assertClose(channelError(() -> conn.createChannel().queueDeclare("q", false, false, false, null)),
                406, "PRECONDITION_FAILED - inequivalent arg 'x-message-ttl' for queue 'q' in vhost '/': "
                        + "received none but current is the value '1000' of type 'signedint'");
        assertClose(channelError(() -> conn.createChannel().queueDeclare("q", false, false, false,
                        Map.of("x-message-ttl", 1000, "x-max-length", 10L))),
                406, "PRECONDITION_FAILED - inequivalent arg 'x-max-length' for queue 'q' in vhost '/': "
                        + "received the value '10' of type 'long' but current is none");
        assertClose(channelError(() -> conn.createChannel().queueDeclare("q", false, false, false,
                        Map.of("x-message-ttl", "1000"))),
                406, "inequivalent arg 'x-message-ttl' for queue 'q' in vhost '/': "
                        + "received '1000' but current is '1000'");
    }

    @Test
    void integerArgumentsOfDifferentWidthsAreEquivalentAndUncheckedArgumentsAreIgnored() throws Exception {
        ch.queueDeclare("q", false, false, false, Map.of("x-message-ttl", 1000, "x-max-length", 5L,
                "x-custom", "a"));
        Map<String, Object> wider = new HashMap<>();
        wider.put("x-message-ttl", 1000L);
        wider.put("x-max-length", 5);
        wider.put("x-custom", "b");
        ch.queueDeclare("q", false, false, false, wider);
        ch.queueDeclare("q", false, false, false, Map.of("x-message-ttl", (short) 1000, "x-max-length", (byte) 5));
        assertThat(ch.isOpen()).isTrue();
    }

    // ---- exclusive queues ----

    @Test
    void anExclusiveQueueIsLockedToItsConnection() throws Exception {
        ch.queueDeclare("private", false, true, false, null);
        ch.exchangeDeclare("x", "direct");
        Connection other = broker.connect();
        String locked = LOCKED.formatted("private");

        Map<String, ThrowingCallable> uses = Map.of(
                "declare", () -> other.createChannel().queueDeclare("private", false, true, false, null),
                "passive declare", () -> other.createChannel().queueDeclarePassive("private"),
                "non-exclusive declare", () -> other.createChannel().queueDeclare("private", false, false, false,
                        null),
                "consume", () -> other.createChannel().basicConsume("private", true, (t, d) -> { }, t -> { }),
                "get", () -> other.createChannel().basicGet("private", true),
                "purge", () -> other.createChannel().queuePurge("private"),
                "delete", () -> other.createChannel().queueDelete("private"),
                "bind", () -> other.createChannel().queueBind("private", "x", "k"));
        uses.forEach((what, use) -> assertThat(channelError(use).getReplyText()).as(what).isEqualTo(locked));

        assertThat(other.isOpen()).isTrue();
        ch.queueBind("private", "x", "k");
        probe.publish("x", "k", null, "still mine");
        assertThat(probe.drainBodies("private")).containsEntry("private", List.of("still mine"));
    }

    @Test
    void redeclaringWithADifferentExclusiveFlagIsLockedAndCheckedBeforeDurability() throws Exception {
        ch.queueDeclare("shared", false, false, false, null);
        ch.queueDeclare("mine", false, true, false, null);

        assertThat(channelError(() -> conn.createChannel().queueDeclare("shared", true, true, false, null))
                .getReplyText()).isEqualTo(LOCKED.formatted("shared"));
        assertThat(channelError(() -> conn.createChannel().queueDeclare("mine", false, false, false, null))
                .getReplyText()).isEqualTo(LOCKED.formatted("mine"));
    }

    @Test
    void anExclusiveQueueIsDeletedWhenItsConnectionCloses() throws Exception {
        Connection owner = broker.connect();
        Channel ownerChannel = owner.createChannel();
        ownerChannel.queueDeclare("temp", false, true, false, null);
        String generated = ownerChannel.queueDeclare().getQueue();
        assertThat(probe.queueExists("temp")).isTrue();
        ownerChannel.close();
        assertThat(owner.createChannel().queueDeclarePassive("temp")).isNotNull(); // channel closing is not enough

        Channel binder = owner.createChannel();
        binder.queueBind("temp", "amq.fanout", "");

        owner.close();

        await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> {
            assertThat(probe.queueExists("temp")).isFalse();
            assertThat(probe.queueExists(generated)).isFalse();
        });
        // Its bindings went with it: a new queue of the same name is not bound.
        ch.queueDeclare("temp", false, false, false, null);
        probe.publish("amq.fanout", "", null, "m");
        assertThat(probe.drainBodies("temp")).containsEntry("temp", List.of());
    }

    @Test
    void deletingAQueueCancelsItsConsumers() throws Exception {
        ch.queueDeclare("q", false, false, false, null);
        BlockingQueue<String> cancelled = new LinkedBlockingQueue<>();
        Channel consumerChannel = broker.connect().createChannel();
        String tag = consumerChannel.basicConsume("q", true, new DefaultConsumer(consumerChannel) {
            @Override
            public void handleCancel(String consumerTag) {
                cancelled.add(consumerTag);
            }
        });

        assertThat(ch.queueDelete("q").getMessageCount()).isZero();

        assertThat(cancelled.poll(5, TimeUnit.SECONDS)).isEqualTo(tag);
        assertThat(consumerChannel.isOpen()).isTrue();
    }

    // ---- auto-delete ----

    @Test
    void anAutoDeleteQueueGoesWhenItsLastConsumerCancelsButNotBeforeItHadOne() throws Exception {
        ch.queueDeclare("auto", false, false, true, null);
        probe.publish("", "auto", null, "m");
        assertThat(ch.basicGet("auto", true)).isNotNull(); // basic.get is not a consumer
        assertThat(probe.queueExists("auto")).isTrue();

        String first = ch.basicConsume("auto", true, (t, d) -> { }, t -> { });
        String second = ch.basicConsume("auto", true, (t, d) -> { }, t -> { });
        ch.basicCancel(first);
        assertThat(probe.queueExists("auto")).isTrue();

        ch.basicCancel(second);
        await().atMost(Duration.ofSeconds(5)).until(() -> !probe.queueExists("auto"));
    }

    @Test
    void anAutoDeleteQueueGoesWhenTheChannelOfItsLastConsumerCloses() throws Exception {
        ch.queueDeclare("auto", false, false, true, null);
        Channel consumer = conn.createChannel();
        consumer.basicConsume("auto", false, (t, d) -> { }, t -> { });
        assertThat(probe.queueExists("auto")).isTrue();

        consumer.close();

        await().atMost(Duration.ofSeconds(5)).until(() -> !probe.queueExists("auto"));
    }

    // ---- bind, unbind, purge, delete ----

    @Test
    void bindAndUnbindControlWhatReachesTheQueue() throws Exception {
        ch.exchangeDeclare("x", "direct");
        ch.queueDeclare("q", false, false, false, null);
        ch.queueBind("q", "x", "a");
        ch.queueBind("q", "x", "a"); // again: still one binding
        ch.queueBind("q", "x", "b");

        probe.publish("x", "a", null, "1");
        probe.publish("x", "b", null, "2");
        probe.publish("x", "c", null, "3");
        assertThat(probe.drainBodies("q")).containsEntry("q", List.of("1", "2"));

        ch.queueUnbind("q", "x", "a");
        probe.publish("x", "a", null, "4");
        probe.publish("x", "b", null, "5");
        assertThat(probe.drainBodies("q")).containsEntry("q", List.of("5"));

        // Unbinding what is not bound, or from what does not exist, is fine.
        ch.queueUnbind("q", "x", "a");
        ch.queueUnbind("q", "missing", "a");
        ch.queueUnbind("missing", "x", "a");
        assertThat(ch.isOpen()).isTrue();
    }

    @Test
    void bindingWithAMissingExchangeOrQueueIsNotFound() throws Exception {
        ch.exchangeDeclare("x", "direct");
        ch.queueDeclare("q", false, false, false, null);
        assertClose(channelError(() -> conn.createChannel().queueBind("q", "missing", "k")),
                404, "NOT_FOUND - no exchange 'missing' in vhost '/'");
        assertClose(channelError(() -> conn.createChannel().queueBind("missing", "x", "k")),
                404, "NOT_FOUND - no queue 'missing' in vhost '/'");
        assertClose(channelError(() -> conn.createChannel().queueBind("missing-q", "missing-x", "k")),
                404, "no exchange 'missing-x' in vhost '/'");
    }

    @Test
    void purgeDropsReadyMessagesKeepsUnackedOnesAndReportsTheCount() throws Exception {
        ch.queueDeclare("q", false, false, false, null);
        for (int i = 0; i < 4; i++) {
            probe.publish("", "q", null, "m" + i);
        }
        GetResponse held = ch.basicGet("q", false);

        assertThat(ch.queuePurge("q").getMessageCount()).isEqualTo(3);
        assertThat(ch.queuePurge("q").getMessageCount()).isZero();

        ch.basicReject(held.getEnvelope().getDeliveryTag(), true);
        assertThat(probe.drainBodies("q")).containsEntry("q", List.of("m0"));
    }

    @Test
    void purgingAMissingQueueIsNotFound() {
        assertClose(channelError(() -> ch.queuePurge("nope")), 404, "NOT_FOUND - no queue 'nope' in vhost '/'");
    }

    @Test
    void deleteReportsTheMessagesItDroppedAndRemovesTheBindings() throws Exception {
        ch.exchangeDeclare("x", "fanout");
        ch.queueDeclare("q", false, false, false, null);
        ch.queueBind("q", "x", "");
        probe.publish("x", "", null, "1");
        probe.publish("x", "", null, "2");

        assertThat(ch.queueDelete("q").getMessageCount()).isEqualTo(2);
        assertThat(probe.queueExists("q")).isFalse();

        ch.queueDeclare("q", false, false, false, null);
        probe.publish("x", "", null, "3");
        assertThat(probe.drainBodies("q")).containsEntry("q", List.of());
    }

    @Test
    void deletingAMissingQueueIsFineWithCountZero() throws Exception {
        assertThat(ch.queueDelete("never-declared").getMessageCount()).isZero();
        assertThat(ch.queueDelete("never-declared", true, true).getMessageCount()).isZero();
    }

    @Test
    void deleteIfEmptyAndIfUnusedRefuseAndIfEmptyIsCheckedFirst() throws Exception {
        ch.queueDeclare("q", false, false, false, null);
        probe.publish("", "q", null, "waiting");
        Channel consumer = conn.createChannel();
        consumer.basicQos(1);
        consumer.basicConsume("q", false, (t, d) -> { }, t -> { });
        probe.publish("", "q", null, "also waiting");
        await().atMost(Duration.ofSeconds(5)).until(() -> ch.queueDeclarePassive("q").getMessageCount() == 1);

        assertClose(channelError(() -> conn.createChannel().queueDelete("q", true, true)),
                406, "PRECONDITION_FAILED - queue 'q' in vhost '/' not empty");
        assertClose(channelError(() -> conn.createChannel().queueDelete("q", true, false)),
                406, "PRECONDITION_FAILED - queue 'q' in vhost '/' in use");
        assertThat(probe.queueExists("q")).isTrue();
    }

    @Test
    void deleteIfEmptyAndIfUnusedSucceedOnAnIdleEmptyQueue() throws Exception {
        ch.queueDeclare("q", false, false, false, null);
        assertThat(ch.queueDelete("q", true, true).getMessageCount()).isZero();
        assertThat(probe.queueExists("q")).isFalse();
    }

    // ---- the empty queue name ----

    @ParameterizedTest
    @ValueSource(strings = {"bind", "unbind", "consume", "get", "purge", "delete"})
    void anEmptyQueueNameWithNoQueueDeclaredOnTheChannelIsNotFound(String method) {
        Function<Channel, ThrowingCallable> call = c -> switch (method) {
            case "bind" -> () -> c.queueBind("", "amq.direct", "k");
            case "unbind" -> () -> c.queueUnbind("", "amq.direct", "k");
            case "consume" -> () -> c.basicConsume("", true, (t, d) -> { }, t -> { });
            case "get" -> () -> c.basicGet("", true);
            case "purge" -> () -> c.queuePurge("");
            case "delete" -> () -> c.queueDelete("");
            default -> throw new IllegalArgumentException(method);
        };
        assertClose(channelError(call.apply(ch)), 404, "NOT_FOUND - no previously declared queue");
    }

    @Test
    void anEmptyQueueNameMeansTheQueueLastDeclaredOnTheChannel() throws Exception {
        ch.queueDeclare("first", false, false, false, null);
        String last = ch.queueDeclare().getQueue();

        ch.queueBind("", "amq.direct", "key");
        probe.publish("amq.direct", "key", null, "a");
        assertThat(ch.basicGet("", true).getBody()).isEqualTo(bytes("a"));

        probe.publish("", last, null, "b");
        assertThat(ch.queuePurge("").getMessageCount()).isEqualTo(1);

        ch.queueUnbind("", "amq.direct", "key");
        probe.publish("amq.direct", "key", null, "c");
        assertThat(probe.drainBodies(last)).containsEntry(last, List.of());

        // Another channel has its own "last declared queue".
        assertClose(channelError(() -> conn.createChannel().queuePurge("")), 404, "no previously declared queue");

        assertThat(ch.queueDelete("").getMessageCount()).isZero();
        assertThat(probe.queueExists(last)).isFalse();
        assertThat(probe.queueExists("first")).isTrue();
    }

    @Test
    void bindingWithAnEmptyQueueNameAndEmptyKeyUsesTheQueueNameAsTheKey() throws Exception {
        String q = ch.queueDeclare().getQueue();
        ch.queueBind("", "amq.direct", "");

        probe.publish("amq.direct", q, null, "by name");
        probe.publish("amq.direct", "", null, "by empty key");
        assertThat(probe.drainBodies(q)).containsEntry(q, List.of("by name"));

        ch.queueUnbind("", "amq.direct", "");
        probe.publish("amq.direct", q, null, "after unbind");
        assertThat(probe.drainBodies(q)).containsEntry(q, List.of());

        // A named queue with an empty key binds the empty key.
        ch.queueBind(q, "amq.direct", "");
        probe.publish("amq.direct", "", null, "empty key");
        assertThat(probe.drainBodies(q)).containsEntry(q, List.of("empty key"));
    }
}
