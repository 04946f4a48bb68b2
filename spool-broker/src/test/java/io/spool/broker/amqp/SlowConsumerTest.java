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
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Consumers without a prefetch limit that fall behind: the broker holds deliveries back while
 * the client's socket is full, resumes when it drains, and loses or reorders nothing; other
 * consumers are not held up meanwhile.
 */
class SlowConsumerTest {

    private static final int BODY = 1024;

    @RegisterExtension
    final TestBroker broker = new TestBroker();

    private static byte[] numbered(int i) {
        return ByteBuffer.allocate(BODY).putInt(i).array();
    }

    private static int number(Received r) {
        return ByteBuffer.wrap(r.body()).getInt();
    }

    private Queue.QueueStats stats(String q) {
        return broker.broker().vhost().queue(q).stats();
    }

    @Test
    void aBacklogLargerThanTheOutboxIsDeliveredCompletelyAndInOrder() throws Exception {
        int n = 20_000;
        Connection conn = broker.connect();
        Channel pub = conn.createChannel();
        String q = pub.queueDeclare("backlog", false, false, false, null).getQueue();
        for (int i = 0; i < n; i++) {
            pub.basicPublish("", q, null, numbered(i));
        }
        await().atMost(Duration.ofSeconds(30)).until(() -> stats(q).ready() == n);

        Channel ch = broker.connect().createChannel();
        RecordingConsumer c = new RecordingConsumer(ch, true);
        ch.basicConsume(q, false, c);

        List<Received> got = c.next(n);
        for (int i = 0; i < n; i++) {
            assertThat(number(got.get(i))).isEqualTo(i);
        }
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() ->
                assertThat(stats(q)).extracting(Queue.QueueStats::ready, Queue.QueueStats::unacked)
                        .containsExactly(0, 0));
    }

    @Test
    void aConsumerThatStopsReadingIsHeldBackAndThenCatchesUp() throws Exception {
        int n = 20_000;
        GatedSocketFactory sockets = new GatedSocketFactory();
        ConnectionFactory f = broker.factory();
        f.setSocketFactory(sockets);
        Connection slowConn = broker.track(f.newConnection());
        Channel slowCh = slowConn.createChannel();
        Channel pub = broker.connect().createChannel();
        String q = pub.queueDeclare("slow", false, false, false, null).getQueue();
        String other = pub.queueDeclare("other", false, false, false, null).getQueue();
        RecordingConsumer slow = new RecordingConsumer(slowCh);
        slowCh.basicConsume(q, true, slow);
        Channel fastCh = broker.connect().createChannel();
        RecordingConsumer fast = new RecordingConsumer(fastCh, true);
        fastCh.basicConsume(other, false, fast);

        sockets.last().pauseReading();
        for (int i = 0; i < n; i++) {
            pub.basicPublish("", q, null, numbered(i));
        }

        // The broker stops handing messages to a connection whose socket is backed up.
        await().atMost(Duration.ofSeconds(30)).until(() -> stats(q).published() == n);
        assertThat(stats(q).ready()).isPositive();
        // Meanwhile another consumer is served as usual.
        pub.basicPublish("", other, null, numbered(-1));
        assertThat(number(fast.next())).isEqualTo(-1);

        sockets.last().resumeReading();

        List<Received> got = slow.next(n);
        for (int i = 0; i < n; i++) {
            assertThat(number(got.get(i))).isEqualTo(i);
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> stats(q).ready() == 0);
    }
}
