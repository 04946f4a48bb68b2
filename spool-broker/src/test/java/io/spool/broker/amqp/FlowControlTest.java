package io.spool.broker.amqp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Command;
import com.rabbitmq.client.Connection;
import io.spool.broker.model.Queue;
import io.spool.broker.testing.RecordingConsumer;
import io.spool.broker.testing.RecordingConsumer.Received;
import io.spool.broker.testing.TestBroker;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * channel.flow sent by the client. Here Spool deliberately differs from RabbitMQ (which
 * answers active=false with 540): flow(false) pauses deliveries to the channel's consumers
 * until flow(true). The Java client 5.x has no Channel.flow, so the method is sent as is.
 */
class FlowControlTest {

    @RegisterExtension
    final TestBroker broker = new TestBroker();

    private Connection conn;
    private Channel pub;
    private String q;

    @BeforeEach
    void setUp() throws Exception {
        conn = broker.connect();
        pub = conn.createChannel();
        q = pub.queueDeclare("flowing", false, false, false, null).getQueue();
    }

    private static boolean flow(Channel ch, boolean active) throws Exception {
        Command reply = ch.rpc(new AMQP.Channel.Flow.Builder().active(active).build());
        assertThat(reply.getMethod()).isInstanceOf(AMQP.Channel.FlowOk.class);
        return ((AMQP.Channel.FlowOk) reply.getMethod()).getActive();
    }

    private void publish(int n) throws Exception {
        for (int i = 0; i < n; i++) {
            pub.basicPublish("", q, null, ("m" + i).getBytes(StandardCharsets.UTF_8));
        }
    }

    private Queue.QueueStats stats() {
        return broker.broker().vhost().queue(q).stats();
    }

    @Test
    void flowOffPausesDeliveriesAndFlowOnResumesThem() throws Exception {
        Channel ch = conn.createChannel();
        RecordingConsumer c = new RecordingConsumer(ch, true);
        ch.basicConsume(q, false, c);
        publish(2);
        assertThat(c.next(2)).extracting(Received::text).containsExactly("m0", "m1");

        assertThat(flow(ch, false)).isFalse();
        publish(5);

        // The queue keeps them: nothing was handed to the paused consumer.
        await().atMost(Duration.ofSeconds(5)).untilAsserted(() ->
                assertThat(stats()).extracting(Queue.QueueStats::ready, Queue.QueueStats::delivered)
                        .containsExactly(5, 2L));
        assertThat(c.count()).isEqualTo(2);
        assertThat(ch.isOpen()).isTrue();

        assertThat(flow(ch, true)).isTrue();

        assertThat(c.next(5)).extracting(Received::text).containsExactly("m0", "m1", "m2", "m3", "m4");
        await().atMost(Duration.ofSeconds(5)).until(() -> stats().ready() == 0);
    }

    @Test
    void flowOffOnOneChannelLetsOtherChannelsConsumersTakeTheMessages() throws Exception {
        Channel paused = conn.createChannel();
        RecordingConsumer pausedConsumer = new RecordingConsumer(paused, true);
        paused.basicConsume(q, false, pausedConsumer);
        Channel active = conn.createChannel();
        RecordingConsumer activeConsumer = new RecordingConsumer(active, true);
        active.basicConsume(q, false, activeConsumer);

        flow(paused, false);
        publish(6);

        assertThat(activeConsumer.next(6)).extracting(Received::text)
                .containsExactly("m0", "m1", "m2", "m3", "m4", "m5");
        await().atMost(Duration.ofSeconds(5)).until(() -> stats().delivered() == 6);
        assertThat(pausedConsumer.count()).isZero();
    }

    @Test
    void aPausedHigherPriorityConsumerLetsLowerOnesTakeTheMessages() throws Exception {
        Channel highCh = conn.createChannel();
        RecordingConsumer high = new RecordingConsumer(highCh, true);
        highCh.basicConsume(q, false, "high", false, false, Map.of("x-priority", 10), high);
        Channel lowCh = conn.createChannel();
        RecordingConsumer low = new RecordingConsumer(lowCh, true);
        lowCh.basicConsume(q, false, low);

        publish(1);
        assertThat(high.next().text()).isEqualTo("m0");
        flow(highCh, false);
        publish(2);

        assertThat(low.next(2)).extracting(Received::text).containsExactly("m0", "m1");
        assertThat(high.count()).isEqualTo(1);
    }

    @Test
    void flowOffStillAllowsPublishingAndGet() throws Exception {
        Channel ch = conn.createChannel();
        flow(ch, false);

        ch.basicPublish("", q, null, "from a paused channel".getBytes(StandardCharsets.UTF_8));

        var r = ch.basicGet(q, true);
        assertThat(r).isNotNull();
        assertThat(new String(r.getBody(), StandardCharsets.UTF_8)).isEqualTo("from a paused channel");
    }

    @Test
    void flowOnWhenAlreadyOnIsAcknowledged() throws Exception {
        Channel ch = conn.createChannel();

        assertThat(flow(ch, true)).isTrue();
        assertThat(ch.isOpen()).isTrue();
    }

    @Test
    void aConsumerAddedWhileFlowIsOffWaitsForFlowOn() throws Exception {
        publish(3);
        Channel ch = conn.createChannel();
        flow(ch, false);
        RecordingConsumer c = new RecordingConsumer(ch, true);
        ch.basicConsume(q, false, c);
        c.awaitConsumeOk();
        assertThat(stats()).extracting(Queue.QueueStats::ready, Queue.QueueStats::delivered).containsExactly(3, 0L);

        flow(ch, true);

        assertThat(c.next(3)).extracting(Received::text).containsExactly("m0", "m1", "m2");
    }
}
