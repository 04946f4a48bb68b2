package io.spool.worker;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.AlreadyClosedException;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.DefaultConsumer;
import com.rabbitmq.client.Envelope;
import java.io.IOException;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A subscription's own server-named queue (exclusive, auto-delete), bound to the events exchange
 * with the pattern and made again after each reconnect. Events arrive with automatic acks: they
 * are notifications, and a slow listener must not hold the broker's memory.
 *
 * <p>Threads: the listener runs on the client library's consumer thread for this channel, one
 * event at a time; {@code channel} is set on the connector's keeper thread.
 */
final class EventSubscription implements Subscription, Connector.Part {

    private static final Logger log = LoggerFactory.getLogger(EventSubscription.class);

    private final Connector connector;
    private final String exchange;
    private final String pattern;
    private final Consumer<JobEvent> listener;
    private final Consumer<EventSubscription> onClose;
    private volatile Channel channel;
    private volatile boolean closed;

    EventSubscription(Connector connector, String exchange, String pattern, Consumer<JobEvent> listener,
                      Consumer<EventSubscription> onClose) {
        this.connector = connector;
        this.onClose = onClose;
        this.exchange = exchange;
        this.pattern = pattern;
        this.listener = listener;
    }

    @Override
    public void connected(Connection connection) throws IOException {
        Channel ch = connection.createChannel();
        String queue = ch.queueDeclare("", false, true, true, null).getQueue();
        ch.queueBind(queue, exchange, pattern);
        ch.basicConsume(queue, true, new DefaultConsumer(ch) {
            @Override
            public void handleDelivery(String tag, Envelope envelope, AMQP.BasicProperties props, byte[] body) {
                deliver(body);
            }
        });
        ch.addShutdownListener(cause -> {
            if (!cause.isInitiatedByApplication() && !cause.isHardError() && !closed) {
                connector.refresh(this);
            }
        });
        channel = ch;
    }

    private void deliver(byte[] body) {
        JobEvent event;
        try {
            event = Json.read(body, JobEvent.class);
        } catch (IOException e) {
            log.warn("skipping a message on '{}' that is not a job event: {}", exchange, e.getMessage());
            return;
        }
        try {
            listener.accept(event);
        } catch (RuntimeException e) {
            log.error("event listener for '{}' failed on {} of job {}", pattern, event.type(), event.jobId(), e);
        }
    }

    @Override
    public void disconnected() {
        channel = null;
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        onClose.accept(this);
        connector.remove(this);
        Channel ch = channel;
        channel = null;
        if (ch != null && ch.isOpen()) {
            try {
                ch.close(); // cancels the consumer: the auto-delete queue goes with it
            } catch (IOException | TimeoutException | AlreadyClosedException ignored) {
                // the connection is going: the exclusive queue goes with it
            }
        }
    }

    @Override
    public String toString() {
        return "event subscription '" + pattern + "'";
    }
}
