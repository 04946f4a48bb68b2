package io.spool.broker.amqp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import io.spool.broker.testing.GatedSocketFactory;
import io.spool.broker.testing.TestBroker;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Heartbeats: both sides keep an idle connection alive, and the broker drops a client that
 * falls silent. Timing is the behaviour under test here, so these tests wait for it.
 */
class ClientHeartbeatTest {

    @RegisterExtension
    final TestBroker broker = new TestBroker();

    @Test
    void clientsHeartbeatIsNegotiated() throws Exception {
        ConnectionFactory f = broker.factory();
        f.setRequestedHeartbeat(7);

        Connection conn = broker.track(f.newConnection());

        assertThat(conn.getHeartbeat()).isEqualTo(7);
    }

    @Test
    void anIdleConnectionSurvivesSeveralHeartbeatPeriods() throws Exception {
        ConnectionFactory f = broker.factory();
        f.setRequestedHeartbeat(1);
        Connection conn = broker.track(f.newConnection());
        Channel ch = conn.createChannel();

        // The client gives up after missing two of the broker's heartbeats, the broker after
        // two of the client's: surviving four periods means both sides send them.
        await().during(Duration.ofSeconds(4)).atMost(Duration.ofSeconds(6)).until(conn::isOpen);

        assertThat(ch.queueDeclare().getQueue()).startsWith("amq.gen-");
    }

    @Test
    void aClientThatFallsSilentIsDisconnected() throws Exception {
        GatedSocketFactory sockets = new GatedSocketFactory();
        ConnectionFactory f = broker.factory();
        f.setRequestedHeartbeat(1);
        f.setSocketFactory(sockets);
        Connection conn = broker.track(f.newConnection());
        await().atMost(Duration.ofSeconds(5)).until(() -> broker.broker().amqp().connections().size() == 1);

        // Nothing the client writes reaches the broker any more, heartbeats included.
        sockets.last().hold();

        await().atMost(Duration.ofSeconds(10)).until(() -> broker.broker().amqp().connections().isEmpty());
        await().atMost(Duration.ofSeconds(5)).until(() -> !conn.isOpen());
    }
}
