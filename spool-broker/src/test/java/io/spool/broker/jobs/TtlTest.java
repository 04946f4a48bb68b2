package io.spool.broker.jobs;

import static io.spool.broker.jobs.Jobs.args;
import static io.spool.broker.jobs.Jobs.awaitGet;
import static io.spool.broker.jobs.Jobs.bytes;
import static io.spool.broker.jobs.Jobs.deadLetterQueue;
import static io.spool.broker.jobs.Jobs.eventually;
import static io.spool.broker.jobs.Jobs.expiring;
import static io.spool.broker.jobs.Jobs.get;
import static io.spool.broker.jobs.Jobs.header;
import static io.spool.broker.jobs.Jobs.ready;
import static io.spool.broker.jobs.Jobs.stat;
import static io.spool.broker.jobs.Jobs.sync;
import static io.spool.broker.jobs.Jobs.text;
import static io.spool.broker.jobs.Jobs.throughout;
import static io.spool.broker.jobs.Jobs.xDeath;
import static org.assertj.core.api.Assertions.assertThat;

import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.GetResponse;
import io.spool.broker.testing.CloseReasons;
import io.spool.broker.testing.RecordingConsumer;
import io.spool.broker.testing.TestBroker;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Message TTL as RabbitMQ has it: the queue's {@code x-message-ttl}, a message's own
 * {@code expiration}, the lower of the two, expiry at the head only, TTL 0, requeued messages
 * keeping their original deadline, and publishes with a malformed expiration refused.
 */
class TtlTest {

    @RegisterExtension
    final TestBroker broker = new TestBroker();

    private Connection conn;
    private Channel ch;

    @BeforeEach
    void connect() throws Exception {
        conn = broker.connect();
        ch = conn.createChannel();
    }

    @Test
    void queueTtlExpiresWaitingMessages() throws Exception {
        ch.queueDeclare("q", false, false, false, args("x-message-ttl", 200));
        for (int i = 0; i < 3; i++) {
            ch.basicPublish("", "q", null, bytes("m" + i));
        }
        // The publishes have arrived: "no message ready" now means they expired.
        sync(ch);

        eventually().until(() -> ready(broker, "q") == 0);
        assertThat(ch.basicGet("q", true)).isNull();
        assertThat(stat(broker, "q", "expired")).isEqualTo(3);
        // No dead-letter exchange: expired messages are dropped, not dead-lettered.
        assertThat(stat(broker, "q", "dead_lettered")).isZero();
    }

    @Test
    void perMessageExpirationExpiresOnlyThatMessage() throws Exception {
        ch.queueDeclare("q", false, false, false, null);
        ch.basicPublish("", "q", expiring("150"), bytes("short-lived"));
        ch.basicPublish("", "q", null, bytes("forever"));

        eventually().until(() -> ready(broker, "q") == 1);
        GetResponse r = get(ch, "q");
        assertThat(text(r.getBody())).isEqualTo("forever");
    }

    @Test
    void messageKeepsItsExpirationPropertyWhenDeliveredInTime() throws Exception {
        ch.queueDeclare("q", false, false, false, null);
        ch.basicPublish("", "q", expiring("60000"), bytes("m"));

        GetResponse r = get(ch, "q");
        assertThat(r.getProps().getExpiration()).isEqualTo("60000");
    }

    @Test
    void theLowerOfQueueTtlAndMessageExpirationApplies() throws Exception {
        deadLetterQueue(ch);
        // The queue's TTL is the lower one...
        ch.queueDeclare("short-queue-ttl", false, false, false,
                args("x-message-ttl", 150, "x-dead-letter-exchange", "dlx"));
        ch.basicPublish("", "short-queue-ttl", expiring("600000"), bytes("queue ttl wins"));
        // ... or the message's own.
        ch.queueDeclare("long-queue-ttl", false, false, false,
                args("x-message-ttl", 600_000, "x-dead-letter-exchange", "dlx"));
        ch.basicPublish("", "long-queue-ttl", expiring("150"), bytes("message ttl wins"));

        GetResponse first = awaitGet(ch, "dlq");
        GetResponse second = awaitGet(ch, "dlq");
        assertThat(java.util.List.of(text(first.getBody()), text(second.getBody())))
                .containsExactlyInAnyOrder("queue ttl wins", "message ttl wins");
        for (GetResponse r : java.util.List.of(first, second)) {
            assertThat(xDeath(r.getProps()).get(0)).containsEntry("reason", "expired");
        }
        assertThat(ready(broker, "short-queue-ttl")).isZero();
        assertThat(ready(broker, "long-queue-ttl")).isZero();
    }

    @Test
    void expiryHappensAtTheHeadOnly() throws Exception {
        ch.queueDeclare("q", false, false, false, null);
        ch.basicPublish("", "q", null, bytes("head, never expires"));
        ch.basicPublish("", "q", expiring("50"), bytes("behind the head"));

        // As in RabbitMQ, an expired message behind a live head stays, and is counted...
        throughout(400).until(() -> ready(broker, "q") == 2);
        assertThat(text(get(ch, "q").getBody())).isEqualTo("head, never expires");
        // ... until it reaches the head: then it is never handed out.
        assertThat(ch.basicGet("q", true)).isNull();
        assertThat(ready(broker, "q")).isZero();
        assertThat(stat(broker, "q", "expired")).isEqualTo(1);
    }

    @Test
    void ttlZeroGoesStraightToAWaitingConsumerOtherwiseExpiresAtOnce() throws Exception {
        deadLetterQueue(ch);
        ch.queueDeclare("q", false, false, false, args("x-message-ttl", 0, "x-dead-letter-exchange", "dlx"));
        ch.confirmSelect();

        // No consumer: expired at once, and dead-lettered.
        ch.basicPublish("", "q", null, bytes("nobody waiting"));
        ch.waitForConfirmsOrDie(5_000);
        assertThat(ready(broker, "q")).isZero();
        GetResponse dead = awaitGet(ch, "dlq");
        assertThat(text(dead.getBody())).isEqualTo("nobody waiting");
        assertThat(xDeath(dead.getProps()).get(0)).containsEntry("reason", "expired");

        // A consumer with credit: delivered.
        Channel consumerChannel = conn.createChannel();
        RecordingConsumer consumer = new RecordingConsumer(consumerChannel, true);
        consumerChannel.basicConsume("q", false, consumer);
        consumer.awaitConsumeOk();
        ch.basicPublish("", "q", null, bytes("somebody waiting"));
        assertThat(consumer.next().text()).isEqualTo("somebody waiting");
    }

    @Test
    void messageExpirationZeroWithoutDeadLetterExchangeIsDiscarded() throws Exception {
        ch.queueDeclare("q", false, false, false, null);
        ch.confirmSelect();
        ch.basicPublish("", "q", expiring("0"), bytes("gone"));
        ch.waitForConfirmsOrDie(5_000);

        assertThat(ready(broker, "q")).isZero();
        assertThat(ch.basicGet("q", true)).isNull();
    }

    @Test
    void aRequeuedMessageKeepsItsOriginalDeadlineAndExpiresWithoutAConsumer() throws Exception {
        deadLetterQueue(ch);
        ch.queueDeclare("q", false, false, false, args("x-message-ttl", 300, "x-dead-letter-exchange", "dlx"));
        ch.basicPublish("", "q", null, bytes("requeued"));

        GetResponse r = get(ch, "q");
        ch.basicNack(r.getEnvelope().getDeliveryTag(), false, true);

        // Back in the queue, nobody consuming: it still expires (at its first deadline) and is
        // dead-lettered.
        GetResponse dead = awaitGet(ch, "dlq");
        assertThat(text(dead.getBody())).isEqualTo("requeued");
        assertThat(xDeath(dead.getProps()).get(0)).containsEntry("reason", "expired").containsEntry("queue", "q");
        assertThat(ready(broker, "q")).isZero();
    }

    @Test
    void messagesReturnedByAClosedChannelExpireToo() throws Exception {
        ch.queueDeclare("q", false, false, false, args("x-message-ttl", 300));
        Channel consumerChannel = conn.createChannel();
        RecordingConsumer consumer = new RecordingConsumer(consumerChannel);
        consumerChannel.basicConsume("q", false, consumer);
        ch.basicPublish("", "q", null, bytes("returned"));
        consumer.next();
        consumerChannel.close();

        eventually().until(() -> ready(broker, "q") == 0);
        assertThat(stat(broker, "q", "expired")).isEqualTo(1);
    }

    @Test
    void anExpiredMessageIsNeverDeliveredToALateConsumer() throws Exception {
        ch.queueDeclare("q", false, false, false, args("x-message-ttl", 100));
        ch.basicPublish("", "q", null, bytes("stale"));
        ch.basicPublish("", "q", expiring("60000"), bytes("also stale: queue ttl is lower"));
        sync(ch);
        eventually().until(() -> ready(broker, "q") == 0);

        RecordingConsumer consumer = new RecordingConsumer(ch, true);
        ch.basicConsume("q", false, consumer);
        ch.basicPublish("", "q", null, bytes("fresh"));
        assertThat(consumer.next().text()).isEqualTo("fresh");
        assertThat(consumer.count()).isEqualTo(1);
    }

    @Test
    void expirationOfADeadLetterIsRemovedSoItDoesNotExpireAgain() throws Exception {
        deadLetterQueue(ch);
        ch.queueDeclare("q", false, false, false, args("x-dead-letter-exchange", "dlx"));
        ch.basicPublish("", "q", expiring("100"), bytes("m"));

        GetResponse dead = awaitGet(ch, "dlq");
        assertThat(dead.getProps().getExpiration()).isNull();
        assertThat(xDeath(dead.getProps()).get(0)).containsEntry("original-expiration", "100");
        assertThat(header(dead.getProps(), "x-first-death-reason")).isEqualTo("expired");
    }

    @ParameterizedTest(name = "expiration \"{0}\"")
    @CsvSource(delimiter = '|', quoteCharacter = '`', value = {
        "abc|no_integer",
        "``|no_integer",
        "1.5|{leftover_string,\".5\"}",
        "10ms|{leftover_string,\"ms\"}",
        "-1|{value_negative,-1}",
        "315360000001|{value_too_large,315360000001}",
    })
    void aMalformedExpirationIsRefusedWith406(String expiration, String why) throws Exception {
        ch.queueDeclare("q", false, false, false, null);
        ch.basicPublish("", "q", expiring(expiration), bytes("m"));

        CloseReasons.awaitClosed(ch).isChannelError(406,
                "PRECONDITION_FAILED - invalid expiration '" + expiration + "': " + why);
        assertThat(conn.isOpen()).isTrue();
        assertThat(ready(broker, "q")).isZero();
    }

    @Test
    void theLargestExpirationIsAccepted() throws Exception {
        ch.queueDeclare("q", false, false, false, null);
        ch.confirmSelect();
        ch.basicPublish("", "q", expiring("315360000000"), bytes("m"));
        ch.waitForConfirmsOrDie(5_000);
        assertThat(text(get(ch, "q").getBody())).isEqualTo("m");
    }

    @Test
    void queueTtlIsCountedFromEnqueueNotFromConsume() throws Exception {
        // A message that waited its TTL out behind an unacked one is not delivered afterwards.
        ch.queueDeclare("q", false, false, false, args("x-message-ttl", 200));
        ch.basicQos(1);
        RecordingConsumer consumer = new RecordingConsumer(ch);
        ch.basicConsume("q", false, consumer);
        ch.basicPublish("", "q", null, bytes("first"));
        ch.basicPublish("", "q", null, bytes("second"));
        RecordingConsumer.Received first = consumer.next();

        eventually().until(() -> ready(broker, "q") == 0);
        ch.basicAck(first.deliveryTag(), false);
        throughout(200).until(() -> consumer.count() == 1);
        assertThat(stat(broker, "q", "expired")).isEqualTo(1);
    }
}
