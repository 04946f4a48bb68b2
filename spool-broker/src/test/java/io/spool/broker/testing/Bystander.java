package io.spool.broker.testing;

import static org.assertj.core.api.Assertions.assertThat;

import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A well-behaved client that stands by while a test abuses the broker on another connection:
 * one connection made with the official RabbitMQ Java client, consuming from its own queue.
 * {@link #assertStillServed()} proves that the broker still serves it, and still accepts
 * new clients.
 */
public final class Bystander {

    private final TestBroker broker;
    private final Connection connection;
    private final Channel channel;
    private final String queue;
    private final BlockingQueue<String> received = new LinkedBlockingQueue<>();
    private int sent;

    private Bystander(TestBroker broker) throws Exception {
        this.broker = broker;
        this.connection = broker.connect();
        this.channel = connection.createChannel();
        this.queue = channel.queueDeclare().getQueue();
        channel.basicConsume(queue, false, (tag, delivery) -> {
            received.add(new String(delivery.getBody(), StandardCharsets.UTF_8));
            channel.basicAck(delivery.getEnvelope().getDeliveryTag(), false);
        }, tag -> { });
    }

    /** Connects and starts consuming; the connection is closed with the test's broker. */
    public static Bystander join(TestBroker broker) throws Exception {
        Bystander b = new Bystander(broker);
        b.assertStillServed();
        return b;
    }

    /**
     * Publishes one message on the standing connection and waits until it comes back to the
     * consumer, then opens (and closes) a fresh connection.
     */
    public void assertStillServed() throws Exception {
        assertRoundTrip();
        try (Connection fresh = broker.factory().newConnection()) {
            assertThat(fresh.isOpen()).as("a new connection is accepted").isTrue();
        }
    }

    /** Publishes one message on the standing connection and waits until it is consumed. */
    public void assertRoundTrip() throws Exception {
        String body = "round trip " + (++sent);
        channel.basicPublish("", queue, null, body.getBytes(StandardCharsets.UTF_8));
        assertThat(received.poll(5, TimeUnit.SECONDS)).as("message consumed by the bystander").isEqualTo(body);
        assertThat(connection.isOpen()).as("bystander connection open").isTrue();
    }
}
