package io.spool.broker.testing;

import static org.assertj.core.api.Assertions.assertThat;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.DefaultConsumer;
import com.rabbitmq.client.Envelope;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * An auto-ack consumer that notes when (wall clock, milliseconds) each delivery arrived: what
 * delayed delivery is about. Tests take deliveries with a timeout, never by sleeping.
 */
public final class TimedConsumer extends DefaultConsumer {

    /** One delivery and the wall-clock time it reached the client. */
    public record Arrival(long atMillis, Envelope envelope, AMQP.BasicProperties properties, byte[] body) {
        public String text() {
            return new String(body, StandardCharsets.UTF_8);
        }

        public Object header(String name) {
            return properties.getHeaders() == null ? null : properties.getHeaders().get(name);
        }
    }

    private final BlockingQueue<Arrival> unread = new LinkedBlockingQueue<>();
    private final List<Arrival> all = new CopyOnWriteArrayList<>();

    private TimedConsumer(Channel channel) {
        super(channel);
    }

    /** Starts consuming a queue with auto-ack. */
    public static TimedConsumer on(Channel channel, String queue) throws Exception {
        TimedConsumer c = new TimedConsumer(channel);
        channel.basicConsume(queue, true, c);
        return c;
    }

    @Override
    public void handleDelivery(String tag, Envelope envelope, AMQP.BasicProperties properties, byte[] body) {
        Arrival a = new Arrival(System.currentTimeMillis(), envelope, properties, body);
        all.add(a);
        unread.add(a);
    }

    /** The next delivery, waiting up to {@code seconds}; fails if none comes. */
    public Arrival next(int seconds) throws InterruptedException {
        Arrival a = unread.poll(seconds, TimeUnit.SECONDS);
        assertThat(a).as("a delivery within %d s (%d so far)", seconds, all.size()).isNotNull();
        return a;
    }

    public Arrival next() throws InterruptedException {
        return next(10);
    }

    public int count() {
        return all.size();
    }

    public List<Arrival> all() {
        return List.copyOf(all);
    }

    public List<String> texts() {
        return all.stream().map(Arrival::text).toList();
    }
}
