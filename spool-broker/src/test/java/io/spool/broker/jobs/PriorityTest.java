package io.spool.broker.jobs;

import static io.spool.broker.jobs.Jobs.args;
import static io.spool.broker.jobs.Jobs.bytes;
import static io.spool.broker.jobs.Jobs.deathSummary;
import static io.spool.broker.jobs.Jobs.eventually;
import static io.spool.broker.jobs.Jobs.get;
import static io.spool.broker.jobs.Jobs.priority;
import static io.spool.broker.jobs.Jobs.props;
import static io.spool.broker.jobs.Jobs.ready;
import static io.spool.broker.jobs.Jobs.sync;
import static io.spool.broker.jobs.Jobs.text;
import static org.assertj.core.api.Assertions.assertThat;

import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.GetResponse;
import io.spool.broker.testing.RecordingConsumer;
import io.spool.broker.testing.TestBroker;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Message priorities as RabbitMQ's classic priority queues have them: {@code x-max-priority}
 * from 1 to 255, the message's {@code priority} property (none is 0, above the maximum counts
 * as the maximum), highest first and in publish order within a priority. A message keeps its
 * priority when it is requeued, when it comes back after a restart, and when it is
 * dead-lettered into another priority queue.
 */
class PriorityTest {

    @RegisterExtension
    final TestBroker broker = new TestBroker();

    private Connection conn;
    private Channel ch;

    @BeforeEach
    void connect() throws Exception {
        conn = broker.connect();
        ch = conn.createChannel();
    }

    /** Publishes {@code body} with each priority (null: no priority property) through the default exchange. */
    private void publish(String queue, Object... bodyAndPriority) throws Exception {
        for (int i = 0; i < bodyAndPriority.length; i += 2) {
            Integer p = (Integer) bodyAndPriority[i + 1];
            ch.basicPublish("", queue, p == null ? null : priority(p), bytes((String) bodyAndPriority[i]));
        }
        sync(ch);
    }

    private List<String> drain(String queue) throws Exception {
        List<String> out = new ArrayList<>();
        GetResponse r;
        while ((r = ch.basicGet(queue, true)) != null) {
            out.add(text(r.getBody()));
        }
        return out;
    }

    @Test
    void higherPriorityIsDeliveredFirst() throws Exception {
        ch.queueDeclare("q", false, false, false, args("x-max-priority", 10));
        publish("q", "p1", 1, "p5", 5, "p3", 3, "p10", 10, "p7", 7);

        assertThat(drain("q")).containsExactly("p10", "p7", "p5", "p3", "p1");
    }

    @Test
    void equalPrioritiesKeepPublishOrder() throws Exception {
        ch.queueDeclare("q", false, false, false, args("x-max-priority", 3));
        publish("q", "low-1", 1, "high-1", 3, "low-2", 1, "high-2", 3, "low-3", 1, "high-3", 3);

        assertThat(drain("q")).containsExactly("high-1", "high-2", "high-3", "low-1", "low-2", "low-3");
    }

    @Test
    void noPriorityPropertyCountsAsZero() throws Exception {
        ch.queueDeclare("q", false, false, false, args("x-max-priority", 5));
        publish("q", "none-1", null, "one", 1, "zero", 0, "none-2", null);

        assertThat(drain("q")).containsExactly("one", "none-1", "zero", "none-2");
    }

    @Test
    void aPriorityAboveTheMaximumCountsAsTheMaximumAndIsDeliveredUnchanged() throws Exception {
        ch.queueDeclare("q", false, false, false, args("x-max-priority", 5));
        publish("q", "four", 4, "five", 5, "two-hundred", 200, "two-five-five", 255, "also-five", 5);

        // 5, 200 and 255 share the top level, in publish order.
        GetResponse first = get(ch, "q");
        assertThat(text(first.getBody())).isEqualTo("five");
        GetResponse second = get(ch, "q");
        assertThat(text(second.getBody())).isEqualTo("two-hundred");
        // The property itself is the publisher's, as in RabbitMQ.
        assertThat(second.getProps().getPriority()).isEqualTo(200);
        assertThat(drain("q")).containsExactly("two-five-five", "also-five", "four");
    }

    @Test
    void theWholeRangeOneTo255Works() throws Exception {
        ch.queueDeclare("two-levels", false, false, false, args("x-max-priority", 1));
        publish("two-levels", "zero", 0, "one", 1, "nine", 9, "none", null);
        assertThat(drain("two-levels")).containsExactly("one", "nine", "zero", "none");

        // The client may send the argument as any integer type.
        ch.queueDeclare("all-levels", false, false, false, args("x-max-priority", (short) 255));
        publish("all-levels", "p1", 1, "p255", 255, "p254", 254, "p128", 128, "p0", 0);
        assertThat(drain("all-levels")).containsExactly("p255", "p254", "p128", "p1", "p0");
    }

    @Test
    void withoutMaxPriorityThePriorityPropertyIsIgnored() throws Exception {
        ch.queueDeclare("q", false, false, false, null);
        publish("q", "low", 1, "high", 9, "none", null);

        GetResponse r = get(ch, "q");
        assertThat(text(r.getBody())).isEqualTo("low");
        assertThat(r.getProps().getPriority()).isEqualTo(1);
        assertThat(drain("q")).containsExactly("high", "none");
    }

    @Test
    void aConsumerReceivesTheBacklogByPriority() throws Exception {
        ch.queueDeclare("q", false, false, false, args("x-max-priority", 10));
        publish("q", "p2", 2, "p8", 8, "p0", 0, "p5", 5);

        Channel worker = conn.createChannel();
        worker.basicQos(1);
        RecordingConsumer consumer = new RecordingConsumer(worker, true);
        worker.basicConsume("q", false, consumer);
        consumer.next(4);

        assertThat(consumer.texts()).containsExactly("p8", "p5", "p2", "p0");
    }

    @Test
    void aNewHigherPriorityMessageOvertakesTheWaitingOnes() throws Exception {
        ch.queueDeclare("q", false, false, false, args("x-max-priority", 10));
        Channel worker = conn.createChannel();
        worker.basicQos(1);
        RecordingConsumer consumer = new RecordingConsumer(worker);
        worker.basicConsume("q", false, consumer);
        consumer.awaitConsumeOk();
        publish("q", "busy", 1, "low-1", 1, "low-2", 1);
        RecordingConsumer.Received busy = consumer.next();
        assertThat(busy.text()).isEqualTo("busy");

        // While the worker is busy, an urgent message arrives behind two waiting ones.
        publish("q", "urgent", 9);
        worker.basicAck(busy.deliveryTag(), false);
        RecordingConsumer.Received next = consumer.next();
        assertThat(next.text()).isEqualTo("urgent");
        worker.basicAck(next.deliveryTag(), false);
        assertThat(consumer.next().text()).isEqualTo("low-1");
    }

    @Test
    void aRequeuedMessageKeepsItsPriority() throws Exception {
        ch.queueDeclare("q", false, false, false, args("x-max-priority", 10));
        publish("q", "medium", 5);
        GetResponse taken = get(ch, "q");
        publish("q", "low", 1, "high", 9);

        ch.basicNack(taken.getEnvelope().getDeliveryTag(), false, true);
        sync(ch);

        // Back in line at its own level: behind "high", ahead of "low".
        GetResponse first = get(ch, "q");
        assertThat(text(first.getBody())).isEqualTo("high");
        assertThat(first.getEnvelope().isRedeliver()).isFalse();
        GetResponse second = get(ch, "q");
        assertThat(text(second.getBody())).isEqualTo("medium");
        assertThat(second.getEnvelope().isRedeliver()).isTrue();
        assertThat(second.getProps().getPriority()).isEqualTo(5);
        assertThat(drain("q")).containsExactly("low");
    }

    @Test
    void messagesReturnedByAClosedChannelGoBackToTheirLevels() throws Exception {
        ch.queueDeclare("q", false, false, false, args("x-max-priority", 10));
        publish("q", "p3", 3, "p7", 7);
        Channel worker = conn.createChannel();
        RecordingConsumer consumer = new RecordingConsumer(worker);
        worker.basicConsume("q", false, consumer);
        consumer.next(2);
        worker.basicCancel(consumer.getConsumerTag());
        consumer.awaitCancelOk();
        publish("q", "p5", 5, "p1", 1);

        worker.close();
        eventually().until(() -> ready(broker, "q") == 4);
        assertThat(drain("q")).containsExactly("p7", "p5", "p3", "p1");
    }

    @Test
    void prioritiesSurviveARestart() throws Exception {
        ch.queueDeclare("q", true, false, false, args("x-max-priority", 10));
        String[] bodies = {"a", "b", "c", "d", "e"};
        int[] priorities = {1, 9, 4, 9, 0};
        for (int i = 0; i < bodies.length; i++) {
            ch.basicPublish("", "q", props().deliveryMode(2).priority(priorities[i]).build(), bytes(bodies[i]));
        }
        // One of them taken and requeued before the restart.
        GetResponse taken = get(ch, "q");
        assertThat(text(taken.getBody())).isEqualTo("b");
        ch.basicNack(taken.getEnvelope().getDeliveryTag(), false, true);
        sync(ch);

        broker.restart();
        conn = broker.connect();
        ch = conn.createChannel();

        assertThat(ready(broker, "q")).isEqualTo(5);
        assertThat(drain("q")).containsExactly("b", "d", "c", "a", "e");
        // Messages published after the restart still find their levels.
        publish("q", "later-low", 2, "later-high", 10);
        assertThat(drain("q")).containsExactly("later-high", "later-low");
    }

    @Test
    void aDeadLetteredMessageKeepsItsPriorityInAPriorityDeadLetterQueue() throws Exception {
        ch.queueDeclare("dlq", false, false, false, args("x-max-priority", 10));
        ch.queueDeclare("work", false, false, false,
                args("x-message-ttl", 50, "x-dead-letter-exchange", "", "x-dead-letter-routing-key", "dlq"));
        publish("work", "low", 1, "none", null, "high", 8);

        // They expire in publish order and arrive in that order...
        eventually().until(() -> ready(broker, "dlq") == 3);
        // ... but the dead-letter queue hands them out by priority.
        GetResponse first = get(ch, "dlq");
        assertThat(text(first.getBody())).isEqualTo("high");
        assertThat(first.getProps().getPriority()).isEqualTo(8);
        assertThat(deathSummary(first.getProps())).containsExactly("work/expired/1");
        assertThat(drain("dlq")).containsExactly("low", "none");
    }

    @Test
    void rejectedMessagesReachAPriorityDeadLetterQueueByPriority() throws Exception {
        ch.queueDeclare("dlq", false, false, false, args("x-max-priority", 3));
        ch.queueDeclare("work", false, false, false,
                args("x-dead-letter-exchange", "", "x-dead-letter-routing-key", "dlq"));
        ch.basicPublish("", "work", priority(0), bytes("a"));
        ch.basicPublish("", "work", priority(3), bytes("b"));
        ch.basicPublish("", "work", priority(2), bytes("c"));
        for (int i = 0; i < 3; i++) {
            ch.basicReject(get(ch, "work").getEnvelope().getDeliveryTag(), false);
        }

        eventually().until(() -> ready(broker, "dlq") == 3);
        assertThat(drain("dlq")).containsExactly("b", "c", "a");
    }

    @Test
    void dropHeadInAPriorityQueueDropsTheNextMessageToBeDelivered() throws Exception {
        // The head of a priority queue is its highest waiting message; RabbitMQ's drop-head
        // drops that one, however surprising, and so does Spool.
        ch.queueDeclare("q", false, false, false, args("x-max-priority", 5, "x-max-length", 2));
        ch.basicPublish("", "q", priority(1), bytes("low"));
        ch.basicPublish("", "q", priority(5), bytes("high"));
        ch.basicPublish("", "q", priority(3), bytes("medium"));
        sync(ch);

        assertThat(drain("q")).containsExactly("medium", "low");
    }
}
