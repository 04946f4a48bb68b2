package io.spool.broker.amqp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Command;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import io.spool.broker.model.Queue;
import io.spool.broker.testing.GatedSocketFactory;
import io.spool.broker.testing.RecordingConsumer;
import io.spool.broker.testing.RecordingConsumer.Received;
import io.spool.broker.testing.TestBroker;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * basic.qos: a consumer never holds more unacknowledged deliveries than its prefetch, and gets
 * the next one exactly when it acks one. Global (per-channel) windows are read as RabbitMQ 3.x
 * reads them: one window shared by all the channel's consumers.
 *
 * <p>The queue decides deliveries synchronously under its lock, so once its counters show a
 * state (ready, unacked, delivered) nothing more is on its way to the client; comparing the
 * client's count with the broker's "delivered" proves no extra delivery is in flight.
 */
class PrefetchTest {

    @RegisterExtension
    final TestBroker broker = new TestBroker();

    private Connection conn;
    private Channel pub;

    @BeforeEach
    void setUp() throws Exception {
        conn = broker.connect();
        pub = conn.createChannel();
    }

    private String declare(String name) throws Exception {
        return pub.queueDeclare(name, false, false, false, null).getQueue();
    }

    private void publish(String q, int n) throws Exception {
        for (int i = 0; i < n; i++) {
            pub.basicPublish("", q, null, ("m" + i).getBytes(StandardCharsets.UTF_8));
        }
    }

    private Queue.QueueStats stats(String q) {
        return broker.broker().vhost().queue(q).stats();
    }

    /** Waits until the queue shows exactly these counts, and the consumer has seen every delivery. */
    private void awaitSettled(String q, RecordingConsumer c, int ready, int unacked, long delivered) {
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
            assertThat(stats(q)).extracting(Queue.QueueStats::ready, Queue.QueueStats::unacked,
                    Queue.QueueStats::delivered).as("ready, unacked, delivered").containsExactly(ready, unacked, delivered);
            assertThat(c.count()).as("deliveries seen by the client").isEqualTo((int) delivered);
        });
    }

    @Test
    void consumerHoldsExactlyItsPrefetchAndGetsOneMorePerAck() throws Exception {
        String q = declare("five-at-a-time");
        Channel ch = conn.createChannel();
        ch.basicQos(5);
        RecordingConsumer c = new RecordingConsumer(ch);
        ch.basicConsume(q, false, c);

        publish(q, 20);

        awaitSettled(q, c, 15, 5, 5);
        int acked = 0;
        for (int i = 0; i < 15; i++) {
            ch.basicAck(c.next().deliveryTag(), false);
            acked++;
            // Exactly one more arrives for each ack, never a second.
            awaitSettled(q, c, 15 - acked, 5, 5 + acked);
        }
        for (int i = 0; i < 5; i++) {
            ch.basicAck(c.next().deliveryTag(), false);
        }
        awaitSettled(q, c, 0, 0, 20);
        assertThat(c.texts()).hasSize(20).doesNotHaveDuplicates();
    }

    @Test
    void multipleAckReturnsAllItsCreditAtOnce() throws Exception {
        String q = declare("batch-ack");
        Channel ch = conn.createChannel();
        ch.basicQos(5);
        RecordingConsumer c = new RecordingConsumer(ch);
        ch.basicConsume(q, false, c);
        publish(q, 20);
        awaitSettled(q, c, 15, 5, 5);

        ch.basicAck(c.next(5).get(2).deliveryTag(), true);

        awaitSettled(q, c, 12, 5, 8);
    }

    @Test
    void perConsumerPrefetchLimitsEachConsumerOnTheChannelSeparately() throws Exception {
        String qa = declare("qa");
        String qb = declare("qb");
        Channel ch = conn.createChannel();
        ch.basicQos(3, false);
        RecordingConsumer a = new RecordingConsumer(ch);
        RecordingConsumer b = new RecordingConsumer(ch);
        ch.basicConsume(qa, false, a);
        ch.basicConsume(qb, false, b);

        publish(qa, 10);
        publish(qb, 10);

        awaitSettled(qa, a, 7, 3, 3);
        awaitSettled(qb, b, 7, 3, 3);
    }

    @Test
    void globalPrefetchIsOneWindowSharedByTheChannelsConsumers() throws Exception {
        String qa = declare("ga");
        String qb = declare("gb");
        Channel ch = conn.createChannel();
        ch.basicQos(4, true);
        RecordingConsumer a = new RecordingConsumer(ch);
        RecordingConsumer b = new RecordingConsumer(ch);
        ch.basicConsume(qa, false, a);
        ch.basicConsume(qb, false, b);

        publish(qa, 2);
        publish(qb, 10);

        // qa's two messages take two of the four slots, qb gets the other two.
        awaitSettled(qa, a, 0, 2, 2);
        awaitSettled(qb, b, 8, 2, 2);

        // Acking a's deliveries frees slots that b's queue then uses.
        ch.basicAck(a.next(2).get(1).deliveryTag(), true);
        awaitSettled(qb, b, 6, 4, 4);
        assertThat(stats(qa).unacked()).isZero();

        // Acking one of b's gives exactly one more.
        ch.basicAck(b.next().deliveryTag(), false);
        awaitSettled(qb, b, 5, 4, 5);
    }

    @Test
    void globalAndPerConsumerWindowsBothApply() throws Exception {
        String qa = declare("both-a");
        String qb = declare("both-b");
        Channel ch = conn.createChannel();
        ch.basicQos(2, false);
        ch.basicQos(3, true);
        RecordingConsumer a = new RecordingConsumer(ch);
        RecordingConsumer b = new RecordingConsumer(ch);
        ch.basicConsume(qa, false, a);
        ch.basicConsume(qb, false, b);

        publish(qa, 10);
        awaitSettled(qa, a, 8, 2, 2);
        publish(qb, 10);
        // The channel's window has one slot left.
        awaitSettled(qb, b, 9, 1, 1);
    }

    @Test
    void raisingTheChannelPrefetchWhileConsumingResumesDeliveries() throws Exception {
        String q = declare("raise");
        Channel ch = conn.createChannel();
        ch.basicQos(2, true);
        RecordingConsumer c = new RecordingConsumer(ch);
        ch.basicConsume(q, false, c);
        publish(q, 10);
        awaitSettled(q, c, 8, 2, 2);

        ch.basicQos(6, true);
        awaitSettled(q, c, 4, 6, 6);

        ch.basicQos(0, true);
        awaitSettled(q, c, 0, 10, 10);
    }

    @Test
    void loweringThePrefetchHoldsDeliveriesUntilEnoughAreAcked() throws Exception {
        String q = declare("lower");
        Channel ch = conn.createChannel();
        ch.basicQos(4, true);
        RecordingConsumer c = new RecordingConsumer(ch);
        ch.basicConsume(q, false, c);
        publish(q, 10);
        awaitSettled(q, c, 6, 4, 4);

        ch.basicQos(2, true);
        ch.basicAck(c.next().deliveryTag(), false);
        ch.basicAck(c.next().deliveryTag(), false);
        // Two acked, two still held: the window of two is full.
        awaitSettled(q, c, 6, 2, 4);

        ch.basicAck(c.next().deliveryTag(), false);
        awaitSettled(q, c, 5, 2, 5);
    }

    @Test
    void perConsumerPrefetchAppliesToConsumersCreatedAfterIt() throws Exception {
        String qa = declare("early");
        String qb = declare("late");
        Channel ch = conn.createChannel();
        ch.basicQos(2);
        RecordingConsumer early = new RecordingConsumer(ch);
        ch.basicConsume(qa, false, early);
        ch.basicQos(4);
        RecordingConsumer late = new RecordingConsumer(ch);
        ch.basicConsume(qb, false, late);

        publish(qa, 10);
        publish(qb, 10);

        awaitSettled(qa, early, 8, 2, 2);
        awaitSettled(qb, late, 6, 4, 4);
    }

    @Test
    void prefetchZeroMeansNoLimit() throws Exception {
        String q = declare("unlimited");
        Channel ch = conn.createChannel();
        ch.basicQos(0);
        RecordingConsumer c = new RecordingConsumer(ch);
        ch.basicConsume(q, false, c);

        publish(q, 50);

        awaitSettled(q, c, 0, 50, 50);
    }

    @Test
    void cancellingAConsumerWhoseDeliveryIsStillOnItsWayGivesTheChannelCreditBack() throws Exception {
        GatedSocketFactory sockets = new GatedSocketFactory();
        ConnectionFactory f = broker.factory();
        f.setSocketFactory(sockets);
        Connection gated = broker.track(f.newConnection());
        Channel publisher = gated.createChannel();
        String q = declare("in-flight");
        Channel ch = gated.createChannel();
        ch.basicQos(1, true);
        RecordingConsumer first = new RecordingConsumer(ch);
        String tag = ch.basicConsume(q, false, first);

        // The broker reads the publish and the cancel together: the delivery is decided for
        // the first consumer, which is cancelled before the delivery is written out.
        sockets.last().hold();
        publisher.basicPublish("", q, null, "m0".getBytes(StandardCharsets.UTF_8));
        CompletableFuture<Command> cancelled =
                ch.asyncCompletableRpc(new AMQP.Basic.Cancel.Builder().consumerTag(tag).build());
        sockets.last().release();
        cancelled.get(10, TimeUnit.SECONDS);
        await().atMost(Duration.ofSeconds(5)).untilAsserted(() ->
                assertThat(stats(q)).extracting(Queue.QueueStats::ready, Queue.QueueStats::unacked,
                        Queue.QueueStats::consumers).containsExactly(1, 0, 0));

        // Nothing is unacknowledged on the channel, so its window of one is free for the next consumer.
        RecordingConsumer second = new RecordingConsumer(ch);
        ch.basicConsume(q, false, second);
        Received r = second.next();
        assertThat(r.text()).isEqualTo("m0");
        assertThat(first.count()).isZero();
    }

    @Test
    void requeuedDeliveriesGiveTheirCreditBack() throws Exception {
        String q = declare("requeue-credit");
        Channel ch = conn.createChannel();
        ch.basicQos(3);
        RecordingConsumer c = new RecordingConsumer(ch);
        ch.basicConsume(q, false, c);
        publish(q, 5);
        awaitSettled(q, c, 2, 3, 3);

        ch.basicNack(c.next(3).get(2).deliveryTag(), true, true);

        // The three come back first, in order, and the window is full again with them.
        awaitSettled(q, c, 2, 3, 6);
        assertThat(c.all().subList(3, 6)).extracting(Received::text).containsExactly("m0", "m1", "m2");
        assertThat(c.all().subList(3, 6)).allMatch(Received::redelivered);
    }
}
