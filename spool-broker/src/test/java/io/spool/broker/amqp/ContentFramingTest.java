package io.spool.broker.amqp;

import static org.assertj.core.api.Assertions.assertThat;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import com.rabbitmq.client.GetResponse;
import io.spool.broker.testing.RecordingConsumer;
import io.spool.broker.testing.RecordingConsumer.Received;
import io.spool.broker.testing.TestBroker;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Random;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Message content of every size: split across body frames both ways, empty, and many small ones. */
class ContentFramingTest {

    @RegisterExtension
    final TestBroker broker = new TestBroker();

    private static byte[] randomBytes(int n, long seed) {
        byte[] b = new byte[n];
        new Random(seed).nextBytes(b);
        return b;
    }

    @Test
    void bodyLargerThanASmallFrameMaxArrivesIntact() throws Exception {
        ConnectionFactory f = broker.factory();
        f.setRequestedFrameMax(4096);
        Connection conn = broker.track(f.newConnection());
        assertThat(conn.getFrameMax()).isEqualTo(4096);
        Channel ch = conn.createChannel();
        String q = ch.queueDeclare().getQueue();
        byte[] body = randomBytes(1024 * 1024, 42);
        AMQP.BasicProperties props = new AMQP.BasicProperties.Builder()
                .messageId("big-1").headers(Map.of("k", "v")).build();

        // Published in 257 body frames of at most 4088 bytes, delivered the same way.
        ch.basicPublish("", q, props, body);
        RecordingConsumer c = new RecordingConsumer(ch, true);
        ch.basicConsume(q, false, c);

        Received r = c.next();
        assertThat(r.body()).hasSize(body.length).isEqualTo(body);
        assertThat(r.properties().getMessageId()).isEqualTo("big-1");
        assertThat(r.properties().getHeaders()).containsKey("k");
    }

    @Test
    void largeBodyWithTheDefaultFrameMaxArrivesIntactThroughGetAndConsume() throws Exception {
        Connection conn = broker.connect();
        assertThat(conn.getFrameMax()).isEqualTo(131072);
        Channel ch = conn.createChannel();
        String q = ch.queueDeclare().getQueue();
        byte[] first = randomBytes(1024 * 1024 + 17, 1);
        byte[] second = randomBytes(3 * 131072, 2);

        ch.basicPublish("", q, null, first);
        ch.basicPublish("", q, null, second);

        GetResponse got = ch.basicGet(q, true);
        assertThat(got.getBody()).isEqualTo(first);
        RecordingConsumer c = new RecordingConsumer(ch, true);
        ch.basicConsume(q, false, c);
        assertThat(c.next().body()).isEqualTo(second);
    }

    @Test
    void bodyOfExactlyOneFramePayloadAndOneByteMore() throws Exception {
        ConnectionFactory f = broker.factory();
        f.setRequestedFrameMax(4096);
        Channel ch = broker.track(f.newConnection()).createChannel();
        String q = ch.queueDeclare().getQueue();
        byte[] exact = randomBytes(4096 - 8, 3);
        byte[] oneMore = randomBytes(4096 - 8 + 1, 4);

        ch.basicPublish("", q, null, exact);
        ch.basicPublish("", q, null, oneMore);

        assertThat(ch.basicGet(q, true).getBody()).isEqualTo(exact);
        assertThat(ch.basicGet(q, true).getBody()).isEqualTo(oneMore);
    }

    @Test
    void emptyBodyWorks() throws Exception {
        Channel ch = broker.connect().createChannel();
        String q = ch.queueDeclare().getQueue();
        AMQP.BasicProperties props = new AMQP.BasicProperties.Builder().type("ping").build();

        ch.basicPublish("", q, props, new byte[0]);
        ch.basicPublish("", q, null, "after".getBytes(StandardCharsets.UTF_8));

        GetResponse r = ch.basicGet(q, true);
        assertThat(r.getBody()).isEmpty();
        assertThat(r.getProps().getType()).isEqualTo("ping");
        RecordingConsumer c = new RecordingConsumer(ch, true);
        ch.basicPublish("", q, null, new byte[0]);
        ch.basicConsume(q, false, c);
        assertThat(c.next().text()).isEqualTo("after");
        assertThat(c.next().body()).isEmpty();
    }

    @Test
    void manySmallMessagesArriveInOrder() throws Exception {
        int n = 20_000;
        Connection conn = broker.connect();
        Channel pub = conn.createChannel();
        String q = pub.queueDeclare().getQueue();
        Channel ch = conn.createChannel();
        ch.basicQos(100);
        RecordingConsumer c = new RecordingConsumer(ch, true);
        ch.basicConsume(q, false, c);

        for (int i = 0; i < n; i++) {
            pub.basicPublish("", q, null, Integer.toString(i).getBytes(StandardCharsets.UTF_8));
        }

        assertThat(c.next(n)).extracting(Received::text)
                .containsExactlyElementsOf(IntStream.range(0, n).mapToObj(Integer::toString).toList());
    }
}
