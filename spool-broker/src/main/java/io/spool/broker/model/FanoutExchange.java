package io.spool.broker.model;

import java.util.List;
import java.util.Map;

/**
 * Routes to every binding, whatever the routing key. Open to one subclass, the
 * deduplication plugin's exchange type, which routes the same way under another name.
 */
public sealed class FanoutExchange extends Exchange permits DeduplicationExchange {

    public static final String TYPE = "fanout";

    private volatile Binding[] bindings;

    FanoutExchange(String name, boolean durable, boolean autoDelete, boolean internal, Map<String, Object> arguments) {
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
