package io.spool.broker.model;

import java.util.List;
import java.util.Map;

/**
 * The exchange type {@code x-message-deduplication} of RabbitMQ's message-deduplication plugin:
 * routes like fanout, to every binding whatever the key, and always drops a message whose
 * {@code x-deduplication-header} it has seen within its cache ({@code x-cache-size}, required,
 * and {@code x-cache-ttl}). The deduplication itself is {@link Exchange}'s, as for any type.
 */
public final class DeduplicationExchange extends Exchange {

    public static final String TYPE = DeduplicationSettings.EXCHANGE_TYPE;

    private volatile Binding[] bindings;

    DeduplicationExchange(String name, boolean durable, boolean autoDelete, boolean internal,
                          Map<String, Object> arguments) {
        super(name, durable, autoDelete, internal, arguments);
    }

    @Override
    public String type() {
        return TYPE;
    }

    @Override
    public void route(Message message, String routingKey, List<Destination> out) {
        Binding[] all = bindings;
        if (all != null) {
            for (Binding b : all) {
                out.add(b.destination());
            }
        }
    }

    @Override
    protected void addRoute(Binding binding) {
        bindings = BindingArrays.add(bindings, binding);
    }

    @Override
    protected void removeRoute(Binding binding) {
        bindings = BindingArrays.remove(bindings, binding);
    }
}
