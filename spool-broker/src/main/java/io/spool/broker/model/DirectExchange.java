package io.spool.broker.model;

import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/** Routes to bindings whose key equals the routing key. The default exchange is one of these. */
public final class DirectExchange extends Exchange {

    public static final String TYPE = "direct";

    private final ConcurrentHashMap<String, Binding[]> byKey = new ConcurrentHashMap<>();

    DirectExchange(String name, boolean durable, boolean autoDelete, boolean internal, Map<String, Object> arguments) {
        super(name, durable, autoDelete, internal, arguments);
    }

    @Override
    public String type() {
        return TYPE;
    }

    @Override
    public void route(Message message, String routingKey, List<Destination> out) {
        Binding[] bindings = byKey.get(routingKey);
        if (bindings != null) {
            for (Binding b : bindings) {
                out.add(b.destination());
            }
        }
    }

    @Override
    protected void addRoute(Binding binding) {
        byKey.compute(binding.routingKey(), (k, old) -> BindingArrays.add(old, binding));
    }

    @Override
    protected void removeRoute(Binding binding) {
        byKey.computeIfPresent(binding.routingKey(), (k, old) -> BindingArrays.remove(old, binding));
    }
}
