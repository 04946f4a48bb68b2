package io.spool.broker.durability;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.MessageProperties;
import io.spool.broker.testing.RecordingConsumer;
import io.spool.broker.testing.TestBroker;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The disk alarm: with less free space on the data disk than --disk-free-limit, a connection
 * that publishes is told connection.blocked "low on disk" and is no longer read, while
 * consumers keep draining what is stored; the alarms health check fails. The test raises the
 * limit above any real free space rather than filling a disk.
 */
class DiskAlarmTest {

    @RegisterExtension
    final TestBroker broker = new TestBroker();

    private HttpResponse<String> alarmsHealth() throws Exception {
        try (HttpClient http = HttpClient.newHttpClient()) {
            return http.send(HttpRequest.newBuilder(
                    URI.create(broker.broker().httpUri() + "/api/health/checks/alarms")).build(),
                    HttpResponse.BodyHandlers.ofString());
        }
    }

    @Test
    void withTheDefaultLimitThereIsNoAlarmAndPublishersAreNotBlocked() throws Exception {
        assertThat(broker.broker().config().diskFreeLimit()).isEqualTo(50L * 1024 * 1024);
        Connection publisher = broker.connect();
        List<String> events = new CopyOnWriteArrayList<>();
        publisher.addBlockedListener(reason -> events.add("blocked: " + reason), () -> events.add("unblocked"));
        Channel ch = publisher.createChannel();
        ch.queueDeclare("fine", true, false, false, null);
        ch.confirmSelect();
        for (int i = 0; i < 100; i++) {
            ch.basicPublish("", "fine", MessageProperties.PERSISTENT_BASIC, new byte[1024]);
        }
        ch.waitForConfirmsOrDie(10_000);
        assertThat(ch.queueDeclarePassive("fine").getMessageCount()).isEqualTo(100);
        assertThat(events).isEmpty();
        assertThat(alarmsHealth().statusCode()).isEqualTo(200);
    }

    @Test
    void belowTheDiskFreeLimitPublishersAreBlockedWhileConsumersDrainWhatIsStored() throws Exception {
        Channel setup = broker.connect().createChannel();
        setup.queueDeclare("backlog", true, false, false, null);
        setup.confirmSelect();
        for (int i = 0; i < 100; i++) {
            setup.basicPublish("", "backlog", MessageProperties.PERSISTENT_BASIC,
                    ("stored " + i).getBytes(StandardCharsets.UTF_8));
        }
        setup.waitForConfirmsOrDie(10_000);

        broker.restart(b -> b.diskFreeLimit(Long.MAX_VALUE / 4));

        assertThat(broker.broker().alarms().disk()).isTrue();
        HttpResponse<String> health = alarmsHealth();
        assertThat(health.statusCode()).isEqualTo(503);
        assertThat(health.body()).contains("disk");

        // The consumer drains everything the previous run stored, acking as it goes.
        Connection consumerConn = broker.connect();
        List<String> consumerEvents = new CopyOnWriteArrayList<>();
        consumerConn.addBlockedListener(reason -> consumerEvents.add("blocked"), () -> consumerEvents.add("unblocked"));
        Channel consumerCh = consumerConn.createChannel();
        consumerCh.basicQos(10);
        RecordingConsumer consumer = new RecordingConsumer(consumerCh, true);
        consumerCh.basicConsume("backlog", false, consumer);
        assertThat(consumer.next(100)).extracting(RecordingConsumer.Received::text)
                .containsExactlyElementsOf(IntStream.range(0, 100).mapToObj(i -> "stored " + i).toList());

        // A publisher is told it is blocked, with the reason, as soon as it publishes.
        Connection publisher = broker.connect();
        BlockingQueue<String> events = new LinkedBlockingQueue<>();
        publisher.addBlockedListener(reason -> events.add("blocked: " + reason), () -> events.add("unblocked"));
        Channel pub = publisher.createChannel();
        Channel pubOther = publisher.createChannel();
        assertThat(pub.queueDeclarePassive("backlog").getQueue()).isEqualTo("backlog");
        pub.basicPublish("", "backlog", MessageProperties.PERSISTENT_BASIC, new byte[10]);
        assertThat(events.poll(10, TimeUnit.SECONDS)).isEqualTo("blocked: low on disk");

        // From now on the broker reads nothing from it: neither publishes nor a request.
        for (int i = 0; i < 10; i++) {
            pub.basicPublish("", "backlog", MessageProperties.PERSISTENT_BASIC, new byte[10]);
        }
        CompletableFuture<Integer> passive = CompletableFuture.supplyAsync(() -> {
            try {
                return pubOther.queueDeclarePassive("backlog").getMessageCount();
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        // ...while the consumer's connection is served as usual, and nothing of the blocked
        // publisher's later messages reaches it (the one that tripped the block may).
        await().during(Duration.ofSeconds(1)).atMost(Duration.ofSeconds(3)).until(() ->
                !passive.isDone() && consumer.count() <= 101
                        && consumerCh.queueDeclarePassive("backlog").getConsumerCount() == 1);
        assertThat(consumerEvents).isEmpty();
        assertThat(events).isEmpty();
        assertThat(alarmsHealth().statusCode()).isEqualTo(503);
    }
}
