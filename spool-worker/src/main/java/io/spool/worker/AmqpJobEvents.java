package io.spool.worker;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Connection;
import java.io.IOException;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.UUID;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Publishes lifecycle events to the topic exchange and makes subscriptions to it. The exchange
 * is declared on every connection, before anything binds to it.
 */
final class AmqpJobEvents implements JobEvents, Connector.Part {

    private static final Logger log = LoggerFactory.getLogger(AmqpJobEvents.class);

    private final SpoolJobsClient client;
    private final String exchange;
    private final Set<EventSubscription> subscriptions = ConcurrentHashMap.newKeySet();

    AmqpJobEvents(SpoolJobsClient client, String exchange) {
        this.client = client;
        this.exchange = exchange;
    }

    @Override
    public void connected(Connection connection) throws IOException {
        Topology.declare(connection, ch -> Topology.declareEventsExchange(ch, exchange));
    }

    /**
     * Publishes an event without waiting. Events are transient and best effort: one that cannot
     * be sent within the publish timeout is dropped (and logged), never retried past it.
     */
    void emit(JobEvent event) {
        AMQP.BasicProperties props = new AMQP.BasicProperties.Builder()
                .contentType(JobMessages.JSON)
                .deliveryMode(1)
                .messageId(UUID.randomUUID().toString())
                .type("spool.event")
                .timestamp(new java.util.Date(event.timeMillis()))
                .build();
        client.publisher()
                .publish(new OutgoingMessage(exchange, event.routingKey(), false, props, Json.write(event)))
                .whenComplete((v, e) -> {
                    if (e != null) {
                        log.debug("event {} of job {} dropped: {}", event.type(), event.jobId(), e.getMessage());
                    }
                });
    }

    @Override
    public Subscription subscribe(String pattern, Consumer<JobEvent> listener) {
        Objects.requireNonNull(pattern, "pattern");
        Objects.requireNonNull(listener, "listener");
        EventSubscription s = new EventSubscription(client.connector(), exchange, pattern, listener,
                subscriptions::remove);
        try {
            client.connector().add(s);
        } catch (IOException e) {
            throw new IllegalStateException("cannot subscribe to '" + pattern + "': " + SpoolJobsClient.reason(e), e);
        }
        subscriptions.add(s);
        return s;
    }

    /** Ends every subscription, as the client closes. */
    void closeSubscriptions() {
        List.copyOf(subscriptions).forEach(EventSubscription::close);
    }

    @Override
    public String toString() {
        return "events exchange '" + exchange + "'";
    }
}
