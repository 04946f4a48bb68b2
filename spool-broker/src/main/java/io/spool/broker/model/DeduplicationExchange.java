package io.spool.broker.model;

import java.util.Map;

/**
 * The exchange type {@code x-message-deduplication} of RabbitMQ's message-deduplication plugin:
 * routes like fanout, to every binding whatever the key, and always drops a message whose
 * {@code x-deduplication-header} it has seen within its cache ({@code x-cache-size}, required,
 * and {@code x-cache-ttl}). The deduplication itself is {@link Exchange}'s, as for any type.
 */
public final class DeduplicationExchange extends FanoutExchange {

    public static final String TYPE = DeduplicationSettings.EXCHANGE_TYPE;

    DeduplicationExchange(String name, boolean durable, boolean autoDelete, boolean internal,
                          Map<String, Object> arguments) {
        super(name, durable, autoDelete, internal, arguments);
    }

    @Override
    public String type() {
        return TYPE;
    }
}
