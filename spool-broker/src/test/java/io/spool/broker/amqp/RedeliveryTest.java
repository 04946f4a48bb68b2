package io.spool.broker.amqp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import io.spool.broker.model.Queue;
import io.spool.broker.testing.GatedSocketFactory;
import io.spool.broker.testing.RecordingConsumer;
import io.spool.broker.testing.RecordingConsumer.Received;
import io.spool.broker.testing.TestBroker;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Work is never lost when a worker goes away: whatever it held unacknowledged goes back to the
 * queue, flagged redelivered, and reaches another consumer.
 */
class RedeliveryTest {

    @RegisterExtension
    final TestBroker broker = new TestBroker();

    private Channel pub;
    private String q;

    @BeforeEach
    void setUp() throws Exception {
        pub = broker.connect().createChannel();
        q = pub.queueDeclare("work", false, false, false, null).getQueue();
    }

    private void publish(int from, int to) throws Exception {
        for (int i = from; i < to; i++) {
            pub.basicPublish("", q, null, ("m" + i).getBytes(StandardCharsets.UTF_8));
        }
    }

    private Queue.QueueStats stats() {
        return broker.broker().vhost().queue(q).stats();
    }

    @Test
    void closingAChannelRequeuesItsUnackedDeliveries() throws Exception {
        Connection conn = broker.connect();
        Channel worker = conn.createChannel();
        worker.basicQos(3);
        RecordingConsumer dying = new RecordingConsumer(worker);
        worker.basicConsume(q, false, dying);
        publish(0, 5);
        assertThat(dying.next(3)).extracting(Received::text).containsExactly("m0", "m1", "m2");
        worker.basicAck(dying.all().get(0).deliveryTag(), false);
        assertThat(dying.next().text()).isEqualTo("m3");

        worker.close();

        await().atMost(Duration.ofSeconds(5)).untilAsserted(() ->
                assertThat(stats()).extracting(Queue.QueueStats::ready, Queue.QueueStats::unacked)
                        .containsExactly(4, 0));
        Channel next = conn.createChannel();
        RecordingConsumer survivor = new RecordingConsumer(next, true);
        next.basicConsume(q, false, survivor);
        List<Received> got = survivor.next(4);
        assertThat(got).extracting(Received::text).containsExactly("m1", "m2", "m3", "m4");
        assertThat(got).extracting(Received::redelivered).containsExactly(true, true, true, false);
    }

    @Test
    void cancellingAConsumerKeepsItsDeliveriesAwaitingAcks() throws Exception {
        Connection conn = broker.connect();
        Channel worker = conn.createChannel();
        RecordingConsumer c = new RecordingConsumer(worker);
        String tag = worker.basicConsume(q, false, c);
        publish(0, 2);
        List<Received> got = c.next(2);

        worker.basicCancel(tag);
        c.awaitCancelOk();

        // As in RabbitMQ, cancel does not requeue: the deliveries can still be acked.
        assertThat(stats().unacked()).isEqualTo(2);
        worker.basicAck(got.get(1).deliveryTag(), true);
        await().atMost(Duration.ofSeconds(5)).until(() -> stats().unacked() == 0 && stats().ready() == 0);
    }

    @Test
    void abortedConnectionsDeliveriesGoToAnotherConsumerRedelivered() throws Exception {
        Connection doomedConn = broker.connect();
        Channel doomed = doomedConn.createChannel();
        RecordingConsumer victim = new RecordingConsumer(doomed);
        doomed.basicConsume(q, false, victim);
        publish(0, 5);
        victim.next(5);

        doomedConn.abort();

        Channel other = broker.connect().createChannel();
        RecordingConsumer survivor = new RecordingConsumer(other, true);
        other.basicConsume(q, false, survivor);
        List<Received> got = survivor.next(5);
        assertThat(got).extracting(Received::text).containsExactly("m0", "m1", "m2", "m3", "m4");
        assertThat(got).allMatch(Received::redelivered);
    }

    @Test
    void aConsumerWhoseSocketDiesLosesItsDeliveriesToTheOthers() throws Exception {
        Channel other = broker.connect().createChannel();
        other.basicQos(1);
        RecordingConsumer survivor = new RecordingConsumer(other);
        other.basicConsume(q, false, survivor);

        GatedSocketFactory sockets = new GatedSocketFactory();
        ConnectionFactory f = broker.factory();
        f.setSocketFactory(sockets);
        Connection crashing = broker.track(f.newConnection());
        Channel ch = crashing.createChannel();
        RecordingConsumer victim = new RecordingConsumer(ch);
        ch.basicConsume(q, false, victim);

        publish(0, 6);
        // The survivor holds m0 (prefetch 1); the victim got the rest.
        assertThat(survivor.next().text()).isEqualTo("m0");
        assertThat(victim.next(5)).extracting(Received::text).containsExactly("m1", "m2", "m3", "m4", "m5");

        sockets.last().close();

        await().atMost(Duration.ofSeconds(10)).until(() -> stats().consumers() == 1);
        for (int i = 1; i <= 5; i++) {
            other.basicAck(survivor.all().get(i - 1).deliveryTag(), false);
            Received r = survivor.next();
            assertThat(r.text()).isEqualTo("m" + i);
            assertThat(r.redelivered()).isTrue();
        }
    }

    @Test
    void severalConsumersAckingThousandsOfMessagesWithOneKilledLoseAndDuplicateNothing() throws Exception {
        int total = 4000;
        int doomedPrefetch = 50;

        // A worker that takes its share and dies without acking any of it.
        Connection doomedConn = broker.connect();
        Channel doomedCh = doomedConn.createChannel();
        doomedCh.basicQos(doomedPrefetch);
        RecordingConsumer doomed = new RecordingConsumer(doomedCh);
        doomedCh.basicConsume(q, false, doomed);

        List<RecordingConsumer> workers = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            Channel ch = broker.connect().createChannel();
            ch.basicQos(20);
            RecordingConsumer w = new RecordingConsumer(ch, true);
            ch.basicConsume(q, false, w);
            workers.add(w);
        }

        publish(0, total / 2);
        await().atMost(Duration.ofSeconds(10)).until(() -> doomed.count() == doomedPrefetch);
        doomedConn.abort();
        publish(total / 2, total);

        await().atMost(Duration.ofSeconds(60)).until(() ->
                workers.stream().mapToInt(RecordingConsumer::count).sum() >= total);
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() ->
                assertThat(stats()).extracting(Queue.QueueStats::ready, Queue.QueueStats::unacked)
                        .containsExactly(0, 0));

        List<Received> all = new ArrayList<>();
        workers.forEach(w -> all.addAll(w.all()));
        assertThat(all).hasSize(total);
        Map<String, Long> copies = all.stream().collect(Collectors.groupingBy(Received::text, HashMap::new,
                Collectors.counting()));
        assertThat(copies.keySet()).isEqualTo(IntStream.range(0, total).mapToObj(i -> "m" + i)
                .collect(Collectors.toSet()));
        assertThat(copies.values()).allMatch(n -> n == 1);

        Set<String> redelivered = all.stream().filter(Received::redelivered).map(Received::text)
                .collect(Collectors.toSet());
        assertThat(redelivered).isEqualTo(Set.copyOf(doomed.texts()));
        assertThat(stats().acked()).isEqualTo(total);
    }

    @Test
    void closingTheConnectionRequeuesTheDeliveriesOfAllItsChannels() throws Exception {
        Connection conn = broker.connect();
        Channel a = conn.createChannel();
        Channel b = conn.createChannel();
        a.basicQos(2);
        b.basicQos(2);
        RecordingConsumer ca = new RecordingConsumer(a);
        RecordingConsumer cb = new RecordingConsumer(b);
        a.basicConsume(q, false, ca);
        b.basicConsume(q, false, cb);
        publish(0, 4);
        await().atMost(Duration.ofSeconds(5)).until(() -> ca.count() + cb.count() == 4);

        conn.close();

        await().atMost(Duration.ofSeconds(5)).untilAsserted(() ->
                assertThat(stats()).extracting(Queue.QueueStats::ready, Queue.QueueStats::unacked,
                        Queue.QueueStats::consumers).containsExactly(4, 0, 0));
        Channel ch = broker.connect().createChannel();
        List<String> texts = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            var r = ch.basicGet(q, true);
            assertThat(r.getEnvelope().isRedeliver()).isTrue();
            texts.add(new String(r.getBody(), StandardCharsets.UTF_8));
        }
        assertThat(texts).containsExactly("m0", "m1", "m2", "m3");
    }
}
