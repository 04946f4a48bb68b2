package io.spool.broker.jobs;

import static io.spool.broker.jobs.Jobs.args;
import static io.spool.broker.jobs.Jobs.bytes;
import static io.spool.broker.jobs.Jobs.eventually;
import static io.spool.broker.jobs.Jobs.queue;
import static io.spool.broker.jobs.Jobs.ready;
import static io.spool.broker.jobs.Jobs.throughout;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import io.spool.broker.testing.CloseReasons;
import io.spool.broker.testing.RecordingConsumer;
import io.spool.broker.testing.TestBroker;
import java.io.IOException;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * {@code x-expires}: a queue unused for that many milliseconds is deleted with its messages, as
 * in RabbitMQ. Using it means having a consumer, a basic.get, or a declaration (passive or
 * not); publishing to it does not. The tests look at the queue through the broker itself
 * ({@link Jobs#queue}), which is not a use, and never earlier than the expiry allows.
 */
class QueueExpiryTest {

    private static final int EXPIRES = 300;

    @RegisterExtension
    final TestBroker broker = new TestBroker();

    private Connection conn;
    private Channel ch;

    @BeforeEach
    void connect() throws Exception {
        conn = broker.connect();
        ch = conn.createChannel();
    }

    private boolean exists(String name) {
        return queue(broker, name) != null;
    }

    @Test
    void anUnusedQueueIsDeletedWithItsMessagesAfterItsExpiry() throws Exception {
        ch.queueDeclare("q", false, false, false, args("x-expires", EXPIRES));
        ch.basicPublish("", "q", null, bytes("lost with the queue"));

        // Never before its time...
        throughout(EXPIRES - 100).until(() -> exists("q"));
        // ... but soon after.
        eventually().until(() -> !exists("q"));

        assertThatThrownBy(() -> ch.queueDeclarePassive("q")).isInstanceOf(IOException.class);
        CloseReasons.awaitClosed(ch).isChannelError(404, "NOT_FOUND - no queue 'q' in vhost '/'");
        assertThat(conn.isOpen()).isTrue();
    }

    @Test
    void publishingIsNotUse() throws Exception {
        ch.queueDeclare("q", false, false, false, args("x-expires", EXPIRES));
        // Publishing for longer than the expiry does not keep it.
        eventually().until(() -> {
            ch.basicPublish("", "q", null, bytes("m"));
            return !exists("q");
        });
    }

    @Test
    void basicGetKeepsItAliveAndRestartsTheClock() throws Exception {
        ch.queueDeclare("q", false, false, false, args("x-expires", EXPIRES));

        // Polled with basic.get for three times its expiry, empty or not: it stays.
        throughout(3 * EXPIRES).until(() -> {
            ch.basicGet("q", true);
            return exists("q");
        });
        eventually().until(() -> !exists("q"));
    }

    @Test
    void redeclaringKeepsItAlive() throws Exception {
        ch.queueDeclare("q", false, false, false, args("x-expires", EXPIRES));

        throughout(3 * EXPIRES).until(() -> {
            ch.queueDeclare("q", false, false, false, args("x-expires", EXPIRES));
            return exists("q");
        });
        throughout(2 * EXPIRES).until(() -> {
            ch.queueDeclarePassive("q");
            return exists("q");
        });
        eventually().until(() -> !exists("q"));
    }

    @Test
    void aConsumerKeepsItAliveAndTheClockStartsWhenTheLastOneLeaves() throws Exception {
        ch.queueDeclare("q", false, false, false, args("x-expires", EXPIRES));
        Channel worker = conn.createChannel();
        RecordingConsumer first = new RecordingConsumer(worker, true);
        worker.basicConsume("q", false, first);
        RecordingConsumer second = new RecordingConsumer(worker, true);
        worker.basicConsume("q", false, second);
        first.awaitConsumeOk();
        second.awaitConsumeOk();

        throughout(3 * EXPIRES).until(() -> exists("q"));
        worker.basicCancel(first.getConsumerTag());
        throughout(2 * EXPIRES).until(() -> exists("q"));
        ch.basicPublish("", "q", null, bytes("still consumed"));
        assertThat(second.next().text()).isEqualTo("still consumed");

        worker.basicCancel(second.getConsumerTag());
        second.awaitCancelOk();
        throughout(EXPIRES - 100).until(() -> exists("q"));
        eventually().until(() -> !exists("q"));
    }

    @Test
    void theMessagesOfAnExpiredQueueAreNotDeadLettered() throws Exception {
        ch.queueDeclare("dlq", false, false, false, null);
        ch.queueDeclare("q", false, false, false,
                args("x-expires", EXPIRES, "x-dead-letter-exchange", "", "x-dead-letter-routing-key", "dlq"));
        ch.basicPublish("", "q", null, bytes("m"));

        eventually().until(() -> !exists("q"));
        throughout(200).until(() -> ready(broker, "dlq") == 0);
    }

    @Test
    void bindingsGoWithTheQueueAndItCanBeDeclaredAgain() throws Exception {
        ch.exchangeDeclare("x", "fanout");
        ch.queueDeclare("q", false, false, false, args("x-expires", EXPIRES));
        ch.queueBind("q", "x", "");

        eventually().until(() -> !exists("q"));
        ch.queueDeclare("q", false, false, false, null);
        ch.basicPublish("x", "", null, bytes("routed nowhere"));
        throughout(200).until(() -> ready(broker, "q") == 0);
    }

    @Test
    void aDurableExpiredQueueStaysGoneAfterARestart() throws Exception {
        ch.queueDeclare("q", true, false, false, args("x-expires", EXPIRES));
        eventually().until(() -> !exists("q"));

        broker.restart();
        assertThat(exists("q")).isFalse();
    }
}
