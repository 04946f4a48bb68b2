package io.spool.broker.jobs;

import static io.spool.broker.jobs.Jobs.args;
import static io.spool.broker.jobs.Jobs.bytes;
import static io.spool.broker.jobs.Jobs.get;
import static io.spool.broker.jobs.Jobs.header;
import static io.spool.broker.jobs.Jobs.ready;
import static io.spool.broker.jobs.Jobs.sync;
import static io.spool.broker.jobs.Jobs.text;
import static io.spool.broker.jobs.Jobs.throughout;
import static org.assertj.core.api.Assertions.assertThat;

import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.GetResponse;
import io.spool.broker.durability.BrokerProcess;
import io.spool.broker.testing.CloseReasons;
import io.spool.broker.testing.RecordingConsumer;
import io.spool.broker.testing.TestBroker;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The consumer timeout: a delivery left unacknowledged longer than the queue's
 * {@code x-consumer-timeout}, else the broker's ({@code --consumer-timeout}, 30 minutes by
 * default), closes its channel with 406 PRECONDITION_FAILED and RabbitMQ's text, and every
 * message the channel held goes back to its queue, flagged redelivered. The connection and its
 * other channels carry on. Acknowledging in time, or consuming in auto-ack mode, is never
 * punished. The broker checks about once a second, so the tests use timeouts well under that.
 */
class ConsumerTimeoutTest {

    @RegisterExtension
    final TestBroker broker = new TestBroker();

    @TempDir
    Path tmp;

    private Connection conn;
    private Channel ch;

    @BeforeEach
    void connect() throws Exception {
        conn = broker.connect();
        ch = conn.createChannel();
    }

    private static String timedOut(int channel, long millis) {
        return "PRECONDITION_FAILED - delivery acknowledgement on channel " + channel + " timed out. Timeout value used: "
                + millis + " ms. This timeout value can be configured, see consumers doc guide to learn more";
    }

    @Test
    void anUnackedDeliveryPastTheQueueTimeoutClosesItsChannelAndComesBack() throws Exception {
        ch.queueDeclare("q", false, false, false, args("x-consumer-timeout", 200, "x-delivery-limit", 5));
        ch.basicPublish("", "q", null, bytes("slow job"));
        ch.basicPublish("", "q", null, bytes("next job"));
        Channel worker = conn.createChannel();
        worker.basicQos(1);
        RecordingConsumer stuck = new RecordingConsumer(worker);
        worker.basicConsume("q", false, stuck);
        assertThat(stuck.next().text()).isEqualTo("slow job");

        CloseReasons.awaitClosed(worker).isChannelError(406, timedOut(worker.getChannelNumber(), 200));
        assertThat(conn.isOpen()).isTrue();
        assertThat(ch.isOpen()).isTrue();

        // Back in the queue, ahead of the next job, flagged redelivered and counted.
        assertThat(ready(broker, "q")).isEqualTo(2);
        GetResponse again = get(ch, "q");
        assertThat(text(again.getBody())).isEqualTo("slow job");
        assertThat(again.getEnvelope().isRedeliver()).isTrue();
        assertThat(header(again.getProps(), "x-delivery-count")).isEqualTo(1L);
        ch.basicAck(again.getEnvelope().getDeliveryTag(), false);
    }

    @Test
    void everyMessageTheChannelHeldGoesBackNotOnlyTheLateOne() throws Exception {
        ch.queueDeclare("slow", false, false, false, args("x-consumer-timeout", 200));
        ch.queueDeclare("other", false, false, false, null);
        ch.basicPublish("", "slow", null, bytes("late"));
        ch.basicPublish("", "other", null, bytes("held"));
        Channel worker = conn.createChannel();
        RecordingConsumer stuck = new RecordingConsumer(worker);
        worker.basicConsume("slow", false, stuck);
        stuck.next();
        // A later delivery from a queue without a timeout of its own, on the same channel.
        assertThat(worker.basicGet("other", false)).isNotNull();

        CloseReasons.awaitClosed(worker).isChannelError(406, timedOut(worker.getChannelNumber(), 200));
        assertThat(ready(broker, "slow")).isEqualTo(1);
        assertThat(ready(broker, "other")).isEqualTo(1);
    }

    @Test
    void aBasicGetLeftUnackedTimesOutToo() throws Exception {
        ch.queueDeclare("q", false, false, false, args("x-consumer-timeout", 200));
        ch.basicPublish("", "q", null, bytes("fetched"));
        Channel worker = conn.createChannel();
        assertThat(worker.basicGet("q", false)).isNotNull();

        CloseReasons.awaitClosed(worker).isChannelError(406, timedOut(worker.getChannelNumber(), 200));
        assertThat(get(ch, "q").getEnvelope().isRedeliver()).isTrue();
    }

    @Test
    void ackingInTimeKeepsTheChannelOpen() throws Exception {
        ch.queueDeclare("q", false, false, false, args("x-consumer-timeout", 300));
        Channel worker = conn.createChannel();
        worker.basicQos(1);
        RecordingConsumer consumer = new RecordingConsumer(worker);
        worker.basicConsume("q", false, consumer);
        consumer.awaitConsumeOk();

        // Jobs keep coming for longer than the timeout; each is acked well within it.
        int[] done = {0};
        throughout(1_500).until(() -> {
            ch.basicPublish("", "q", null, bytes("job " + done[0]));
            RecordingConsumer.Received r = consumer.next();
            worker.basicAck(r.deliveryTag(), false);
            done[0]++;
            return worker.isOpen();
        });
        assertThat(done[0]).isGreaterThan(10);
    }

    @Test
    void autoAckConsumersAreNeverTimedOut() throws Exception {
        ch.queueDeclare("q", false, false, false, args("x-consumer-timeout", 100));
        Channel worker = conn.createChannel();
        RecordingConsumer consumer = new RecordingConsumer(worker);
        worker.basicConsume("q", true, consumer);
        ch.basicPublish("", "q", null, bytes("m"));
        consumer.next();

        throughout(1_500).until(worker::isOpen);
    }

    @Test
    void theBrokerDefaultAppliesToQueuesWithoutTheirOwn() throws Exception {
        broker.restart(b -> b.consumerTimeoutMillis(200));
        conn = broker.connect();
        ch = conn.createChannel();
        ch.queueDeclare("default", false, false, false, null);
        ch.basicPublish("", "default", null, bytes("m"));
        Channel worker = conn.createChannel();
        assertThat(worker.basicGet("default", false)).isNotNull();

        CloseReasons.awaitClosed(worker).isChannelError(406, timedOut(worker.getChannelNumber(), 200));
        assertThat(ready(broker, "default")).isEqualTo(1);
    }

    @Test
    void theQueueTimeoutOverridesTheBrokerDefaultEitherWay() throws Exception {
        broker.restart(b -> b.consumerTimeoutMillis(200));
        conn = broker.connect();
        ch = conn.createChannel();
        ch.queueDeclare("patient", false, false, false, args("x-consumer-timeout", 600_000));
        ch.basicPublish("", "patient", null, bytes("m"));
        Channel patient = conn.createChannel();
        assertThat(patient.basicGet("patient", false)).isNotNull();
        throughout(1_500).until(patient::isOpen);

        broker.restart(b -> b.consumerTimeoutMillis(600_000));
        conn = broker.connect();
        ch = conn.createChannel();
        ch.queueDeclare("strict", false, false, false, args("x-consumer-timeout", 200));
        ch.basicPublish("", "strict", null, bytes("m"));
        Channel strict = conn.createChannel();
        assertThat(strict.basicGet("strict", false)).isNotNull();
        CloseReasons.awaitClosed(strict).isChannelError(406, timedOut(strict.getChannelNumber(), 200));
    }

    @Test
    void aTimeoutOfZeroTurnsItOff() throws Exception {
        broker.restart(b -> b.consumerTimeoutMillis(0));
        conn = broker.connect();
        ch = conn.createChannel();
        ch.queueDeclare("q", false, false, false, null);
        ch.basicPublish("", "q", null, bytes("m"));
        sync(ch);
        Channel worker = conn.createChannel();
        assertThat(worker.basicGet("q", false)).isNotNull();

        throughout(1_500).until(worker::isOpen);
    }

    @Test
    void theCommandLineSetsTheBrokerDefault() throws Exception {
        try (BrokerProcess server = BrokerProcess.start(tmp.resolve("data"), "--consumer-timeout", "200")) {
            Connection c = server.connect();
            Channel declarer = c.createChannel();
            declarer.queueDeclare("q", false, false, false, null);
            declarer.basicPublish("", "q", null, bytes("m"));
            Channel worker = c.createChannel();
            assertThat(worker.basicGet("q", false)).isNotNull();

            CloseReasons.awaitClosed(worker).isChannelError(406, timedOut(worker.getChannelNumber(), 200));
            assertThat(c.isOpen()).isTrue();
        }
    }
}
