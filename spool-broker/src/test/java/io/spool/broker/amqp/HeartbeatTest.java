package io.spool.broker.amqp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import com.rabbitmq.client.GetResponse;
import com.rabbitmq.client.ShutdownSignalException;
import io.spool.broker.amqp.method.QueueMethod;
import io.spool.broker.testing.Bystander;
import io.spool.broker.testing.TestBroker;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Heartbeats with a 1-second interval: the broker sends them while it has nothing else to
 * say, and drops a client it has not heard from for two intervals.
 */
class HeartbeatTest {

    @RegisterExtension
    final TestBroker broker = new TestBroker();

    @Test
    void silentClientIsDisconnectedAfterTwoMissedIntervals() throws Exception {
        Bystander bystander = Bystander.join(broker);
        try (RawAmqpClient c = RawAmqpClient.open(broker.port(), 0, 1)) {
            // ... and from now on the client says nothing at all.
            Duration took = c.expectClosedByBroker(Duration.ofMillis(3_500));

            assertThat(took).as("time until the broker gave up").isGreaterThan(Duration.ofMillis(1_500));
            assertThat(c.heartbeatsReceived()).as("heartbeats the broker sent meanwhile").isGreaterThanOrEqualTo(2);
        }
        bystander.assertStillServed();
    }

    @Test
    void clientThatKeepsSendingHeartbeatsStaysConnected() throws Exception {
        try (RawAmqpClient c = RawAmqpClient.open(broker.port(), 0, 1)) {
            long until = System.nanoTime() + Duration.ofMillis(4_500).toNanos();
            while (System.nanoTime() < until) {
                // Whatever the broker sends must be a heartbeat; silence for half an interval
                // is our cue to send one.
                c.pollFrame(Duration.ofMillis(400)).ifPresentOrElse(
                        f -> assertThat(f.isHeartbeat()).as("frame from the broker: %s", f).isTrue(),
                        () -> c.sendHeartbeat(0));
            }

            // The broker keeps its side of the bargain even while the client is chatty.
            assertThat(c.heartbeatsReceived()).as("heartbeats the broker sent in 4.5 s").isGreaterThanOrEqualTo(4);
            c.openChannel(1);
            c.sendMethod(1, new QueueMethod.Declare("", false, false, true, true, false, Map.of()));
            assertThat(c.expect(QueueMethod.DeclareOk.class).queue()).startsWith("amq.gen-");
        }
    }

    @Test
    void officialClientWithOneSecondHeartbeatStaysOpenAndUsable() throws Exception {
        ConnectionFactory f = broker.factory();
        f.setRequestedHeartbeat(1);
        Connection conn = broker.track(f.newConnection());
        AtomicReference<ShutdownSignalException> shutdown = new AtomicReference<>();
        conn.addShutdownListener(shutdown::set);
        assertThat(conn.getHeartbeat()).isEqualTo(1);
        Channel ch = conn.createChannel();
        String q = ch.queueDeclare().getQueue();

        await().during(Duration.ofSeconds(5)).atMost(Duration.ofSeconds(7))
                .untilAsserted(() -> assertThat(shutdown.get()).as("connection shut down").isNull());

        ch.basicPublish("", q, null, "still here".getBytes(StandardCharsets.UTF_8));
        GetResponse r = await().atMost(Duration.ofSeconds(5)).until(() -> ch.basicGet(q, true), g -> g != null);
        assertThat(new String(r.getBody(), StandardCharsets.UTF_8)).isEqualTo("still here");
    }
}
