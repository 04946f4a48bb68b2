package io.spool.broker.jobs;

import static io.spool.broker.jobs.Jobs.args;
import static io.spool.broker.jobs.Jobs.bytes;
import static io.spool.broker.jobs.Jobs.ready;
import static io.spool.broker.jobs.Jobs.sync;
import static io.spool.broker.jobs.Jobs.throughout;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import io.spool.broker.testing.CloseReasons;
import io.spool.broker.testing.RecordingConsumer;
import io.spool.broker.testing.TestBroker;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * {@code x-single-active-consumer}: of the consumers of a queue only one receives, in order;
 * when it cancels, or its channel or connection closes, the next one takes over (the highest
 * consumer priority first, then the longest waiting) and gets the messages the first one left
 * unacknowledged before any later ones, so order is kept across the failover.
 */
class SingleActiveConsumerTest {

    @RegisterExtension
    final TestBroker broker = new TestBroker();

    private Connection conn;
    private Channel ch;

    @BeforeEach
    void connect() throws Exception {
        conn = broker.connect();
        ch = conn.createChannel();
        ch.queueDeclare("q", false, false, false, args("x-single-active-consumer", true));
    }

    private void publish(String... bodies) throws Exception {
        for (String b : bodies) {
            ch.basicPublish("", "q", null, bytes(b));
        }
        sync(ch);
    }

    /** A consumer with the given prefetch (0: unlimited), in auto-ack mode or not, with consumer arguments. */
    private RecordingConsumer consumer(Channel channel, int prefetch, boolean autoAck, Map<String, Object> arguments)
            throws Exception {
        channel.basicQos(prefetch);
        RecordingConsumer c = new RecordingConsumer(channel);
        channel.basicConsume("q", autoAck, arguments, c);
        c.awaitConsumeOk();
        return c;
    }

    private RecordingConsumer consumer(Channel channel, int prefetch, boolean autoAck) throws Exception {
        return consumer(channel, prefetch, autoAck, Map.of());
    }

    @Test
    void onlyTheFirstConsumerReceives() throws Exception {
        RecordingConsumer first = consumer(conn.createChannel(), 0, true);
        RecordingConsumer second = consumer(conn.createChannel(), 0, true);
        RecordingConsumer third = consumer(broker.connect().createChannel(), 0, true);
        publish("m1", "m2", "m3", "m4");

        first.next(4);
        assertThat(first.texts()).containsExactly("m1", "m2", "m3", "m4");
        throughout(200).until(() -> second.count() == 0 && third.count() == 0);
        assertThat(broker.broker().vhost().queue("q").consumerCount()).isEqualTo(3);
    }

    @Test
    void theActiveConsumerOutOfCreditDoesNotPassMessagesToTheOthers() throws Exception {
        Channel firstChannel = conn.createChannel();
        RecordingConsumer first = consumer(firstChannel, 1, false);
        RecordingConsumer second = consumer(conn.createChannel(), 0, true);
        publish("m1", "m2", "m3");

        RecordingConsumer.Received m1 = first.next();
        throughout(200).until(() -> first.count() == 1 && second.count() == 0);
        assertThat(ready(broker, "q")).isEqualTo(2);
        firstChannel.basicAck(m1.deliveryTag(), false);
        assertThat(first.next().text()).isEqualTo("m2");
    }

    @Test
    void whenTheActiveConsumerCancelsTheNextTakesOver() throws Exception {
        Channel firstChannel = conn.createChannel();
        RecordingConsumer first = consumer(firstChannel, 0, true);
        RecordingConsumer second = consumer(conn.createChannel(), 0, true);
        RecordingConsumer third = consumer(conn.createChannel(), 0, true);
        publish("m1");
        first.next();

        firstChannel.basicCancel(first.getConsumerTag());
        first.awaitCancelOk();
        publish("m2", "m3");
        second.next(2);
        assertThat(second.texts()).containsExactly("m2", "m3");
        throughout(200).until(() -> first.count() == 1 && third.count() == 0);
    }

    @Test
    void whenTheActiveChannelClosesItsUnackedMessagesGoToTheNextConsumerFirst() throws Exception {
        Channel firstChannel = conn.createChannel();
        RecordingConsumer first = consumer(firstChannel, 2, false);
        RecordingConsumer second = consumer(conn.createChannel(), 0, false);
        publish("m1", "m2", "m3", "m4");
        first.next(2);
        assertThat(first.texts()).containsExactly("m1", "m2");

        firstChannel.close();

        List<RecordingConsumer.Received> got = second.next(4);
        assertThat(second.texts()).containsExactly("m1", "m2", "m3", "m4");
        assertThat(got.get(0).redelivered()).isTrue();
        assertThat(got.get(1).redelivered()).isTrue();
        assertThat(got.get(2).redelivered()).isFalse();
    }

    @Test
    void whenTheActiveConnectionDiesTheNextConsumerTakesOver() throws Exception {
        Connection firstConn = broker.connect();
        RecordingConsumer first = consumer(firstConn.createChannel(), 1, false);
        Channel secondChannel = conn.createChannel();
        RecordingConsumer second = consumer(secondChannel, 1, false);
        publish("m1", "m2");
        assertThat(first.next().text()).isEqualTo("m1");

        firstConn.abort();

        RecordingConsumer.Received again = second.next();
        assertThat(again.text()).isEqualTo("m1");
        assertThat(again.redelivered()).isTrue();
        secondChannel.basicAck(again.deliveryTag(), false);
        assertThat(second.next().text()).isEqualTo("m2");
    }

    @Test
    void failoverPrefersTheHighestConsumerPriorityThenTheLongestWaiting() throws Exception {
        Channel activeChannel = conn.createChannel();
        RecordingConsumer active = consumer(activeChannel, 0, true, Map.of("x-priority", 1));
        RecordingConsumer low = consumer(conn.createChannel(), 0, true, Map.of("x-priority", 1));
        RecordingConsumer highFirst = consumer(conn.createChannel(), 0, true, Map.of("x-priority", 5));
        RecordingConsumer highSecond = consumer(conn.createChannel(), 0, true, Map.of("x-priority", 5));
        // A higher priority arriving later does not take over from the active consumer...
        publish("m1");
        assertThat(active.next().text()).isEqualTo("m1");

        // ... but when the active one goes, the highest priority that waited longest follows.
        activeChannel.close();
        publish("m2");
        assertThat(highFirst.next().text()).isEqualTo("m2");
        throughout(200).until(() -> low.count() == 0 && highSecond.count() == 0);
    }

    @Test
    void anExclusiveConsumerIsRefusedEvenOnAnUnusedQueue() throws Exception {
        Channel other = conn.createChannel();

        assertThatThrownBy(() -> other.basicConsume("q", true, "", false, true, null, new RecordingConsumer(other)))
                .isInstanceOf(java.io.IOException.class);
        CloseReasons.awaitClosed(other).isChannelError(403,
                "ACCESS_REFUSED - queue 'q' in vhost '/' in exclusive use");
        assertThat(conn.isOpen()).isTrue();
    }

    @Test
    void aConsumerAloneIsActiveAndTheQueueWorksAgainAfterAllLeft() throws Exception {
        Channel c1 = conn.createChannel();
        RecordingConsumer first = consumer(c1, 0, true);
        c1.close();
        publish("waiting");
        assertThat(ready(broker, "q")).isEqualTo(1);

        RecordingConsumer later = consumer(conn.createChannel(), 0, true);
        assertThat(later.next().text()).isEqualTo("waiting");
        assertThat(first.count()).isZero();
    }
}
