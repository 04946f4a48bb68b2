package io.spool.broker.amqp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import io.spool.broker.testing.RecordingConsumer;
import io.spool.broker.testing.TestBroker;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The memory alarm: past the high watermark, a connection that publishes is told
 * connection.blocked and is no longer read; when memory falls below the mark it is told
 * connection.unblocked and reading resumes.
 *
 * <p>Waiting messages live on disk, so what fills memory here is in-flight work: a "hoarder"
 * consumer on its own connection takes deliveries and holds them unacknowledged. Acking them
 * is what brings memory back down.
 */
class MemoryAlarmTest {

    private static final int WATERMARK = 64 * 1024;
    private static final int BODY = 16 * 1024;

    @RegisterExtension
    final TestBroker broker = new TestBroker(b -> b.memoryHighWatermark(WATERMARK));

    private int healthStatus() throws Exception {
        try (HttpClient http = HttpClient.newHttpClient()) {
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(
                    URI.create(broker.broker().httpUri() + "/api/health/checks/alarms")).build(),
                    HttpResponse.BodyHandlers.ofString());
            return r.statusCode();
        }
    }

    /** A consumer that takes every delivery and acks nothing until told to. */
    private RecordingConsumer hoard(String q) throws Exception {
        Channel ch = broker.connect().createChannel();
        RecordingConsumer c = new RecordingConsumer(ch);
        ch.basicConsume(q, false, c);
        return c;
    }

    private static void release(RecordingConsumer hoarder) throws Exception {
        hoarder.getChannel().basicAck(0, true);
    }

    /**
     * Acks what the hoarder holds until the publisher hears "unblocked": deliveries still on
     * their way when it acks are held too, so one ack may not bring memory below the mark.
     */
    private static String releaseUntilUnblocked(RecordingConsumer hoarder, BlockingQueue<String> events)
            throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (System.nanoTime() < deadline) {
            release(hoarder);
            String e = events.poll(200, TimeUnit.MILLISECONDS);
            if (e != null) {
                return e;
            }
        }
        return null;
    }

    @Test
    void publisherIsBlockedPastTheWatermarkAndUnblockedWhenMemoryComesBack() throws Exception {
        Connection publisher = broker.connect();
        BlockingQueue<String> events = new LinkedBlockingQueue<>();
        AtomicBoolean unblocked = new AtomicBoolean();
        publisher.addBlockedListener(reason -> events.add("blocked: " + reason), () -> {
            unblocked.set(true);
            events.add("unblocked");
        });
        Channel pub = publisher.createChannel();
        String q = pub.queueDeclare("big", false, false, false, null).getQueue();
        assertThat(healthStatus()).isEqualTo(200);
        RecordingConsumer hoarder = hoard(q);

        // Publish 16 KiB bodies one by one until those held unacked pass the 64 KiB mark. The
        // publish that crosses it is accepted; the connection is blocked only when it
        // publishes again.
        byte[] body = new byte[BODY];
        int published = 0;
        while (!broker.broker().memory().alarm()) {
            assertThat(published).as("the alarm should have gone off by now").isLessThan(10);
            pub.basicPublish("", q, null, body);
            published++;
            hoarder.next();
        }
        assertThat(published).isBetween(4, 5);
        assertThat(events).isEmpty();
        assertThat(healthStatus()).isEqualTo(503);

        pub.basicPublish("", q, null, body);
        assertThat(events.poll(10, TimeUnit.SECONDS)).isEqualTo("blocked: low on memory");

        // The broker reads nothing more from this connection: a request sent now is answered
        // only after the unblock, which the client sees first.
        pub.basicPublish("", q, null, body);
        AtomicBoolean unblockedWhenAnswered = new AtomicBoolean();
        CompletableFuture<Integer> passive = CompletableFuture.supplyAsync(() -> {
            try {
                int count = publisher.createChannel().queueDeclarePassive(q).getConsumerCount();
                unblockedWhenAnswered.set(unblocked.get());
                return count;
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });

        // The hoarder's connection consumes only: it is never blocked. It acks what it holds,
        // memory comes back, and the publisher is unblocked.
        Connection hoarderConn = hoarder.getChannel().getConnection();
        List<String> hoarderEvents = new CopyOnWriteArrayList<>();
        hoarderConn.addBlockedListener(reason -> hoarderEvents.add("blocked"), () -> hoarderEvents.add("unblocked"));
        release(hoarder);

        assertThat(events.poll(10, TimeUnit.SECONDS)).isEqualTo("unblocked");
        assertThat(passive.get(10, TimeUnit.SECONDS)).isEqualTo(1);
        assertThat(unblockedWhenAnswered).isTrue();
        hoarder.next(2);
        release(hoarder);
        await().atMost(Duration.ofSeconds(5)).until(() -> !broker.broker().memory().alarm());
        assertThat(healthStatus()).isEqualTo(200);
        assertThat(hoarderEvents).isEmpty();

        // Publishing works again.
        pub.basicPublish("", q, null, body);
        assertThat(hoarder.next().body()).hasSize(BODY);
        assertThat(events).isEmpty();
    }

    @Test
    void aBlockedPublisherIsNotDroppedForTheHeartbeatsItCannotSend() throws Exception {
        ConnectionFactory f = broker.factory();
        f.setRequestedHeartbeat(1);
        Connection publisher = broker.track(f.newConnection());
        BlockingQueue<String> events = new LinkedBlockingQueue<>();
        publisher.addBlockedListener(reason -> events.add("blocked"), () -> events.add("unblocked"));
        Channel pub = publisher.createChannel();
        String q = pub.queueDeclare("heartbeats", false, false, false, null).getQueue();
        RecordingConsumer hoarder = hoard(q);
        for (int i = 0; i < 6; i++) {
            pub.basicPublish("", q, null, new byte[BODY]);
        }
        assertThat(events.poll(10, TimeUnit.SECONDS)).isEqualTo("blocked");

        // The broker reads nothing, heartbeats included, for several heartbeat timeouts.
        await().during(Duration.ofSeconds(4)).atMost(Duration.ofSeconds(6))
                .until(() -> publisher.isOpen() && broker.broker().amqp().connections().size() == 2);

        assertThat(releaseUntilUnblocked(hoarder, events)).isEqualTo("unblocked");
        assertThat(pub.queueDeclarePassive(q).getQueue()).isEqualTo(q);
    }

    @Test
    void aPublisherThatStopsBeforeTheAlarmIsNotTold() throws Exception {
        Connection quiet = broker.connect();
        List<String> quietEvents = new CopyOnWriteArrayList<>();
        quiet.addBlockedListener(reason -> quietEvents.add("blocked"), () -> quietEvents.add("unblocked"));
        Channel quietCh = quiet.createChannel();
        String q = quietCh.queueDeclare("shared", false, false, false, null).getQueue();
        RecordingConsumer hoarder = hoard(q);
        quietCh.basicPublish("", q, null, new byte[BODY]);
        quietCh.queueDeclarePassive(q);

        Connection loud = broker.connect();
        BlockingQueue<String> loudEvents = new LinkedBlockingQueue<>();
        loud.addBlockedListener(reason -> loudEvents.add("blocked"), () -> loudEvents.add("unblocked"));
        Channel loudCh = loud.createChannel();
        for (int i = 0; i < 5; i++) {
            loudCh.basicPublish("", q, null, new byte[BODY]);
        }
        assertThat(loudEvents.poll(10, TimeUnit.SECONDS)).isEqualTo("blocked");

        assertThat(releaseUntilUnblocked(hoarder, loudEvents)).isEqualTo("unblocked");

        // The quiet one, still open and usable, heard nothing.
        assertThat(quietCh.queueDeclarePassive(q).getQueue()).isEqualTo(q);
        assertThat(quietEvents).isEmpty();
    }
}
