package io.spool.broker.jobs;

import static io.spool.broker.jobs.Jobs.args;
import static io.spool.broker.jobs.Jobs.awaitGet;
import static io.spool.broker.jobs.Jobs.bytes;
import static io.spool.broker.jobs.Jobs.deathSummary;
import static io.spool.broker.jobs.Jobs.eventually;
import static io.spool.broker.jobs.Jobs.get;
import static io.spool.broker.jobs.Jobs.header;
import static io.spool.broker.jobs.Jobs.props;
import static io.spool.broker.jobs.Jobs.ready;
import static io.spool.broker.jobs.Jobs.stat;
import static io.spool.broker.jobs.Jobs.text;
import static io.spool.broker.jobs.Jobs.throughout;
import static io.spool.broker.jobs.Jobs.xDeath;
import static org.assertj.core.api.Assertions.assertThat;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.GetResponse;
import io.spool.broker.testing.TestBroker;
import java.util.Date;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Dead-lettering as RabbitMQ 4 does it: which messages die (reject and nack without requeue,
 * expiry; length limits and the delivery limit have their own tests), the x-death entries and
 * the x-first-death-* and x-last-death-* headers they carry, how they are routed (dead-letter
 * routing key or their own keys, CC included), and RabbitMQ's cycle rule.
 */
class DeadLetterTest {

    @RegisterExtension
    final TestBroker broker = new TestBroker();

    private Connection conn;
    private Channel ch;

    @BeforeEach
    void connect() throws Exception {
        conn = broker.connect();
        ch = conn.createChannel();
    }

    /** A direct exchange "dlx" with queue "dlq" bound under each key. */
    private void deadLetterQueue(String... keys) throws Exception {
        ch.exchangeDeclare("dlx", "direct");
        ch.queueDeclare("dlq", false, false, false, null);
        for (String key : keys) {
            ch.queueBind("dlq", "dlx", key);
        }
    }

    private void reject(String queue) throws Exception {
        GetResponse r = get(ch, queue);
        ch.basicReject(r.getEnvelope().getDeliveryTag(), false);
    }

    @Test
    void aRejectedMessageIsDeadLetteredWithItsXDeathEntry() throws Exception {
        deadLetterQueue("work");
        ch.queueDeclare("work", false, false, false, args("x-dead-letter-exchange", "dlx"));
        AMQP.BasicProperties published = props().contentType("text/plain").messageId("job-1").correlationId("c")
                .headers(Map.of("tenant", "acme")).expiration("60000").priority(3).build();
        long before = System.currentTimeMillis() / 1000 * 1000;
        ch.basicPublish("", "work", published, bytes("payload"));
        reject("work");
        long after = System.currentTimeMillis();

        GetResponse dead = awaitGet(ch, "dlq");
        assertThat(text(dead.getBody())).isEqualTo("payload");
        // Routed through the DLX with the message's own routing key.
        assertThat(dead.getEnvelope().getExchange()).isEqualTo("dlx");
        assertThat(dead.getEnvelope().getRoutingKey()).isEqualTo("work");
        AMQP.BasicProperties p = dead.getProps();
        assertThat(p.getContentType()).isEqualTo("text/plain");
        assertThat(p.getMessageId()).isEqualTo("job-1");
        assertThat(p.getCorrelationId()).isEqualTo("c");
        assertThat(p.getPriority()).isEqualTo(3);
        assertThat(header(p, "tenant")).isEqualTo("acme");
        // The expiration is removed, its value kept in x-death.
        assertThat(p.getExpiration()).isNull();

        List<Map<String, Object>> deaths = xDeath(p);
        assertThat(deaths).hasSize(1);
        Map<String, Object> death = deaths.get(0);
        assertThat(death).containsOnlyKeys("original-expiration", "count", "reason", "queue", "time", "exchange",
                "routing-keys");
        assertThat(death).containsEntry("original-expiration", "60000")
                .containsEntry("count", 1L)
                .containsEntry("reason", "rejected")
                .containsEntry("queue", "work")
                .containsEntry("exchange", "")
                .containsEntry("routing-keys", List.of("work"));
        assertThat((Date) death.get("time")).isBetween(new Date(before), new Date(after), true, true);

        assertThat(header(p, "x-first-death-reason")).isEqualTo("rejected");
        assertThat(header(p, "x-first-death-queue")).isEqualTo("work");
        assertThat(header(p, "x-first-death-exchange")).isEqualTo("");
        assertThat(header(p, "x-last-death-reason")).isEqualTo("rejected");
        assertThat(header(p, "x-last-death-queue")).isEqualTo("work");
        assertThat(header(p, "x-last-death-exchange")).isEqualTo("");
        assertThat(header(p, "x-delivery-count")).isNull();

        assertThat(ready(broker, "work")).isZero();
        assertThat(stat(broker, "work", "dead_lettered")).isEqualTo(1);
    }

    @Test
    void withoutOwnExpirationThereIsNoOriginalExpiration() throws Exception {
        deadLetterQueue("work");
        ch.queueDeclare("work", false, false, false, args("x-dead-letter-exchange", "dlx", "x-message-ttl", 50));
        ch.basicPublish("", "work", null, bytes("m"));

        GetResponse dead = awaitGet(ch, "dlq");
        Map<String, Object> death = xDeath(dead.getProps()).get(0);
        // The queue's x-message-ttl is never recorded.
        assertThat(death).doesNotContainKey("original-expiration").containsEntry("reason", "expired");
        assertThat(dead.getProps().getExpiration()).isNull();
    }

    @Test
    void nackWithoutRequeueDeadLettersEveryMessageItCovers() throws Exception {
        deadLetterQueue("work");
        ch.queueDeclare("work", false, false, false, args("x-dead-letter-exchange", "dlx"));
        for (int i = 0; i < 3; i++) {
            ch.basicPublish("", "work", null, bytes("m" + i));
        }
        get(ch, "work");
        get(ch, "work");
        GetResponse last = get(ch, "work");
        ch.basicNack(last.getEnvelope().getDeliveryTag(), true, false);

        eventually().until(() -> ready(broker, "dlq") == 3);
        for (int i = 0; i < 3; i++) {
            GetResponse dead = get(ch, "dlq");
            assertThat(text(dead.getBody())).isEqualTo("m" + i);
            assertThat(deathSummary(dead.getProps())).containsExactly("work/rejected/1");
        }
    }

    @Test
    void requeueingIsNotDeadLettering() throws Exception {
        deadLetterQueue("work");
        ch.queueDeclare("work", false, false, false, args("x-dead-letter-exchange", "dlx"));
        ch.basicPublish("", "work", null, bytes("m"));
        GetResponse r = get(ch, "work");
        ch.basicReject(r.getEnvelope().getDeliveryTag(), true);

        GetResponse again = get(ch, "work");
        assertThat(again.getEnvelope().isRedeliver()).isTrue();
        assertThat(header(again.getProps(), "x-death")).isNull();
        assertThat(ready(broker, "dlq")).isZero();
    }

    @Test
    void withoutDeadLetterRoutingKeyTheOwnKeysRouteCcIncludedAndBccNotRecorded() throws Exception {
        ch.exchangeDeclare("dlx", "direct");
        ch.queueDeclare("by-key", false, false, false, null);
        ch.queueBind("by-key", "dlx", "job");
        ch.queueDeclare("by-cc", false, false, false, null);
        ch.queueBind("by-cc", "dlx", "copy");
        ch.exchangeDeclare("in", "direct");
        ch.queueDeclare("work", false, false, false, args("x-dead-letter-exchange", "dlx"));
        ch.queueBind("work", "in", "job");
        AMQP.BasicProperties p = props().headers(Map.of("CC", List.of("copy"), "BCC", List.of("secret"))).build();
        ch.basicPublish("in", "job", p, bytes("m"));
        reject("work");

        GetResponse byKey = awaitGet(ch, "by-key");
        GetResponse byCc = awaitGet(ch, "by-cc");
        for (GetResponse dead : List.of(byKey, byCc)) {
            assertThat(dead.getEnvelope().getExchange()).isEqualTo("dlx");
            assertThat(dead.getEnvelope().getRoutingKey()).isEqualTo("job");
            assertThat(header(dead.getProps(), "CC")).isEqualTo(List.of("copy"));
            assertThat(header(dead.getProps(), "BCC")).isNull();
            assertThat(xDeath(dead.getProps()).get(0))
                    .containsEntry("exchange", "in")
                    .containsEntry("routing-keys", List.of("job", "copy"));
            assertThat(header(dead.getProps(), "x-first-death-exchange")).isEqualTo("in");
        }
        // One copy each: a queue matched by two keys gets the message once.
        throughout(200).until(() -> ready(broker, "by-key") == 0 && ready(broker, "by-cc") == 0);
    }

    @Test
    void aDeadLetterRoutingKeyIsTheOnlyKeyButTheCcHeaderStays() throws Exception {
        ch.exchangeDeclare("dlx", "direct");
        ch.queueDeclare("dlq", false, false, false, null);
        ch.queueBind("dlq", "dlx", "failed");
        ch.queueDeclare("by-own-key", false, false, false, null);
        ch.queueBind("by-own-key", "dlx", "work");
        ch.queueBind("by-own-key", "dlx", "copy");
        ch.queueDeclare("work", false, false, false,
                args("x-dead-letter-exchange", "dlx", "x-dead-letter-routing-key", "failed"));
        ch.basicPublish("", "work", props().headers(Map.of("CC", List.of("copy"))).build(), bytes("m"));
        reject("work");

        GetResponse dead = awaitGet(ch, "dlq");
        assertThat(dead.getEnvelope().getExchange()).isEqualTo("dlx");
        assertThat(dead.getEnvelope().getRoutingKey()).isEqualTo("failed");
        assertThat(header(dead.getProps(), "CC")).isEqualTo(List.of("copy"));
        // x-death records the keys the message had before it died.
        assertThat(xDeath(dead.getProps()).get(0)).containsEntry("routing-keys", List.of("work", "copy"));
        throughout(200).until(() -> ready(broker, "by-own-key") == 0);
    }

    @Test
    void theDefaultExchangeAsDeadLetterExchangeRoutesByQueueName() throws Exception {
        ch.queueDeclare("failed", false, false, false, null);
        ch.queueDeclare("work", false, false, false,
                args("x-dead-letter-exchange", "", "x-dead-letter-routing-key", "failed"));
        ch.basicPublish("", "work", null, bytes("m"));
        reject("work");

        GetResponse dead = awaitGet(ch, "failed");
        assertThat(dead.getEnvelope().getExchange()).isEmpty();
        assertThat(dead.getEnvelope().getRoutingKey()).isEqualTo("failed");
        assertThat(deathSummary(dead.getProps())).containsExactly("work/rejected/1");
    }

    @Test
    void xDeathCountsUpPerQueueAndReasonAndTheEntryMovesToTheFront() throws Exception {
        // a and b dead-letter to each other; the message enters a through exchange "in".
        ch.exchangeDeclare("in", "direct");
        ch.queueDeclare("a", false, false, false, args("x-dead-letter-exchange", "", "x-dead-letter-routing-key", "b"));
        ch.queueDeclare("b", false, false, false, args("x-dead-letter-exchange", "", "x-dead-letter-routing-key", "a"));
        ch.queueBind("a", "in", "job");
        ch.basicPublish("in", "job", props().expiration("60000").build(), bytes("m"));

        reject("a");
        eventually().until(() -> ready(broker, "b") == 1);
        GetResponse inB = get(ch, "b");
        assertThat(deathSummary(inB.getProps())).containsExactly("a/rejected/1");
        Map<String, Object> firstDeathInA = xDeath(inB.getProps()).get(0);
        assertThat(header(inB.getProps(), "x-last-death-queue")).isEqualTo("a");
        assertThat(header(inB.getProps(), "x-last-death-exchange")).isEqualTo("in");
        ch.basicReject(inB.getEnvelope().getDeliveryTag(), false);

        eventually().until(() -> ready(broker, "a") == 1);
        GetResponse backInA = get(ch, "a");
        assertThat(deathSummary(backInA.getProps())).containsExactly("b/rejected/1", "a/rejected/1");
        assertThat(header(backInA.getProps(), "x-last-death-queue")).isEqualTo("b");
        assertThat(header(backInA.getProps(), "x-last-death-exchange")).isEqualTo("");
        Map<String, Object> bEntry = xDeath(backInA.getProps()).get(0);
        // b's entry: the message came to b through the default exchange with key "b", and
        // its own expiration was already gone.
        assertThat(bEntry).containsEntry("exchange", "").containsEntry("routing-keys", List.of("b"))
                .doesNotContainKey("original-expiration");
        ch.basicReject(backInA.getEnvelope().getDeliveryTag(), false);

        eventually().until(() -> ready(broker, "b") == 1);
        GetResponse inBAgain = get(ch, "b");
        // a's entry counts up and moves to the front; its first time, exchange, keys and
        // original expiration stay.
        assertThat(deathSummary(inBAgain.getProps())).containsExactly("a/rejected/2", "b/rejected/1");
        Map<String, Object> aEntry = xDeath(inBAgain.getProps()).get(0);
        assertThat(aEntry).containsEntry("exchange", "in").containsEntry("routing-keys", List.of("job"))
                .containsEntry("original-expiration", "60000")
                .containsEntry("time", firstDeathInA.get("time"));
        assertThat(header(inBAgain.getProps(), "x-first-death-queue")).isEqualTo("a");
        assertThat(header(inBAgain.getProps(), "x-first-death-reason")).isEqualTo("rejected");
        assertThat(header(inBAgain.getProps(), "x-first-death-exchange")).isEqualTo("in");
        assertThat(header(inBAgain.getProps(), "x-last-death-queue")).isEqualTo("a");
        assertThat(header(inBAgain.getProps(), "x-last-death-exchange")).isEqualTo("");
        ch.basicAck(inBAgain.getEnvelope().getDeliveryTag(), false);
    }

    @Test
    void oneEntryPerQueueAndReason() throws Exception {
        // Rejected in "work", expired in "retry" (back to "work"), rejected again: two entries.
        ch.queueDeclare("work", false, false, false,
                args("x-dead-letter-exchange", "", "x-dead-letter-routing-key", "retry"));
        ch.queueDeclare("retry", false, false, false,
                args("x-message-ttl", 50, "x-dead-letter-exchange", "", "x-dead-letter-routing-key", "work"));
        ch.basicPublish("", "work", null, bytes("m"));

        reject("work");
        eventually().until(() -> ready(broker, "work") == 1);
        GetResponse second = get(ch, "work");
        assertThat(deathSummary(second.getProps())).containsExactly("retry/expired/1", "work/rejected/1");
        ch.basicReject(second.getEnvelope().getDeliveryTag(), false);

        eventually().until(() -> ready(broker, "work") == 1);
        GetResponse third = get(ch, "work");
        assertThat(deathSummary(third.getProps())).containsExactly("retry/expired/2", "work/rejected/2");
        assertThat(header(third.getProps(), "x-first-death-reason")).isEqualTo("rejected");
        assertThat(header(third.getProps(), "x-first-death-queue")).isEqualTo("work");
        assertThat(header(third.getProps(), "x-last-death-reason")).isEqualTo("expired");
        assertThat(header(third.getProps(), "x-last-death-queue")).isEqualTo("retry");
    }

    @Test
    void aTtlQueueDeadLetteringToItselfDropsTheMessageAfterItsFirstExpiry() throws Exception {
        ch.queueDeclare("loop", false, false, false, args("x-message-ttl", 100, "x-dead-letter-exchange", ""));
        ch.basicPublish("", "loop", null, bytes("m"));

        eventually().until(() -> stat(broker, "loop", "expired") == 1);
        throughout(300).until(() -> ready(broker, "loop") == 0);
        // Enqueued once: the expired copy routed back to "loop" was recognised as a cycle.
        assertThat(stat(broker, "loop", "publish")).isEqualTo(1);
        assertThat(stat(broker, "loop", "expired")).isEqualTo(1);
        assertThat(conn.isOpen()).isTrue();
    }

    @Test
    void twoTtlQueuesDeadLetteringToEachOtherDropAtTheCycle() throws Exception {
        ch.queueDeclare("ping", false, false, false,
                args("x-message-ttl", 50, "x-dead-letter-exchange", "", "x-dead-letter-routing-key", "pong"));
        ch.queueDeclare("pong", false, false, false,
                args("x-message-ttl", 50, "x-dead-letter-exchange", "", "x-dead-letter-routing-key", "ping"));
        ch.basicPublish("", "ping", null, bytes("m"));

        eventually().until(() -> stat(broker, "pong", "expired") == 1);
        throughout(300).until(() -> ready(broker, "ping") == 0 && ready(broker, "pong") == 0);
        assertThat(stat(broker, "ping", "publish")).isEqualTo(1);
        assertThat(stat(broker, "pong", "publish")).isEqualTo(1);
    }

    @Test
    void aRejectedMessageMayCycleThroughItsOwnQueue() throws Exception {
        ch.queueDeclare("loop", false, false, false, args("x-dead-letter-exchange", ""));
        ch.basicPublish("", "loop", null, bytes("m"));

        for (int round = 1; round <= 3; round++) {
            eventually().until(() -> ready(broker, "loop") == 1);
            GetResponse r = get(ch, "loop");
            if (round > 1) {
                assertThat(deathSummary(r.getProps())).containsExactly("loop/rejected/" + (round - 1));
            }
            ch.basicReject(r.getEnvelope().getDeliveryTag(), false);
        }
        eventually().until(() -> ready(broker, "loop") == 1);
        assertThat(deathSummary(get(ch, "loop").getProps())).containsExactly("loop/rejected/3");
    }

    @Test
    void aRejectionOnTheWayBreaksTheCycleRule() throws Exception {
        // "ttl" expires to "check"; a worker on "check" rejects back to "ttl"; the second expiry
        // from "ttl" is no cycle, because a rejection lies between.
        ch.queueDeclare("ttl", false, false, false,
                args("x-message-ttl", 50, "x-dead-letter-exchange", "", "x-dead-letter-routing-key", "check"));
        ch.queueDeclare("check", false, false, false,
                args("x-dead-letter-exchange", "", "x-dead-letter-routing-key", "ttl"));
        ch.basicPublish("", "ttl", null, bytes("m"));

        eventually().until(() -> ready(broker, "check") == 1);
        GetResponse first = get(ch, "check");
        assertThat(deathSummary(first.getProps())).containsExactly("ttl/expired/1");
        ch.basicReject(first.getEnvelope().getDeliveryTag(), false);

        eventually().until(() -> ready(broker, "check") == 1);
        GetResponse second = get(ch, "check");
        assertThat(deathSummary(second.getProps())).containsExactly("ttl/expired/2", "check/rejected/1");
        ch.basicAck(second.getEnvelope().getDeliveryTag(), false);
    }

    @Test
    void aCycleDropsOnlyTheCyclingTarget() throws Exception {
        // "loop" expires through fanout "fan" to itself and to "audit": audit still gets it.
        ch.exchangeDeclare("fan", "fanout");
        ch.queueDeclare("loop", false, false, false, args("x-message-ttl", 50, "x-dead-letter-exchange", "fan"));
        ch.queueDeclare("audit", false, false, false, null);
        ch.queueBind("loop", "fan", "");
        ch.queueBind("audit", "fan", "");
        ch.basicPublish("", "loop", null, bytes("m"));

        GetResponse audited = awaitGet(ch, "audit");
        assertThat(deathSummary(audited.getProps())).containsExactly("loop/expired/1");
        throughout(300).until(() -> ready(broker, "loop") == 0);
        assertThat(stat(broker, "loop", "publish")).isEqualTo(1);
    }

    @Test
    void aMissingDeadLetterExchangeDropsTheMessageSilently() throws Exception {
        ch.queueDeclare("work", false, false, false, args("x-dead-letter-exchange", "not-there"));
        ch.basicPublish("", "work", null, bytes("m"));
        reject("work");

        eventually().until(() -> ready(broker, "work") == 0);
        assertThat(ch.isOpen()).isTrue();
        assertThat(ch.basicGet("work", true)).isNull();
    }

    @Test
    void aDeadLetterRoutedNowhereIsDroppedWithoutAReturn() throws Exception {
        ch.exchangeDeclare("dlx", "direct");
        ch.queueDeclare("work", false, false, false, args("x-dead-letter-exchange", "dlx"));
        AtomicInteger returns = new AtomicInteger();
        ch.addReturnListener(r -> returns.incrementAndGet());
        ch.basicPublish("", "work", true, null, bytes("m"));
        reject("work");

        throughout(200).until(() -> returns.get() == 0 && ready(broker, "work") == 0);
        assertThat(ch.isOpen()).isTrue();
    }

    @Test
    void theDeadLetterExchangeMayBeDeclaredAfterTheQueue() throws Exception {
        ch.queueDeclare("work", false, false, false, args("x-dead-letter-exchange", "dlx"));
        deadLetterQueue("work");
        ch.basicPublish("", "work", null, bytes("m"));
        reject("work");

        assertThat(deathSummary(awaitGet(ch, "dlq").getProps())).containsExactly("work/rejected/1");
    }
}
