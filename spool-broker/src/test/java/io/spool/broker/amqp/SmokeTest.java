package io.spool.broker.amqp;

import static org.assertj.core.api.Assertions.assertThat;

import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.GetResponse;
import io.spool.broker.testing.TestBroker;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

class SmokeTest {

    @RegisterExtension
    final TestBroker broker = new TestBroker();

    @Test
    void publishThenConsumeAndGet() throws Exception {
        Connection conn = broker.connect();
        Channel ch = conn.createChannel();
        String q = ch.queueDeclare().getQueue();
        ch.basicPublish("", q, null, "hello".getBytes(StandardCharsets.UTF_8));
        GetResponse r = ch.basicGet(q, true);
        assertThat(new String(r.getBody(), StandardCharsets.UTF_8)).isEqualTo("hello");

        BlockingQueue<String> got = new ArrayBlockingQueue<>(10);
        ch.basicConsume(q, false, (tag, d) -> {
            // Ack first: once the test sees the body it closes the channel, and a late ack would fail.
            ch.basicAck(d.getEnvelope().getDeliveryTag(), false);
            got.add(new String(d.getBody(), StandardCharsets.UTF_8));
        }, tag -> { });
        ch.basicPublish("", q, null, "world".getBytes(StandardCharsets.UTF_8));
        assertThat(got.poll(5, TimeUnit.SECONDS)).isEqualTo("world");
        ch.close();
        conn.close();
    }
}
