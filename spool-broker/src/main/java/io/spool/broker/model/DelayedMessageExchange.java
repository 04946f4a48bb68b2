package io.spool.broker.model;

import java.util.List;
import java.util.Map;

/**
 * An exchange of type {@code x-delayed-message}, as the RabbitMQ delayed-message plugin
 * defines it: it routes like the exchange type named in its {@code x-delayed-type} argument,
 * but holds a message carrying an {@code x-delay} header (see {@link DelayHeader}) in the
 * schedule until it is due, then routes it. Bindings and their validation are those of the
 * underlying type, kept by an inner exchange of that type that does the matching.
 *
 * <p>The delaying itself happens in {@link VirtualHost#route}, which notes the delay in the
 * routing result instead of routing through this exchange, and in {@link DelayedMessages},
 * which keeps the message and routes it through this exchange (by name) when due.
 *
 * <p>Threads: as {@link Exchange}.
 */
public final class DelayedMessageExchange extends Exchange {

    public static final String TYPE = "x-delayed-message";
    public static final String TYPE_ARGUMENT = "x-delayed-type";

    /** An exchange of the underlying type: holds the bindings and matches messages against them. */
    private final Exchange matcher;

    DelayedMessageExchange(String name, boolean durable, boolean autoDelete, boolean internal,
                           Map<String, Object> arguments) {
        super(name, durable, autoDelete, internal, arguments);
        matcher = Exchange.create(delayedType(arguments), name, durable, autoDelete, internal, Map.of());
    }

    /**
     * The underlying type named by the arguments; refused (406, with the plugin's texts) when
     * it is missing, not a string, unknown, or this type itself.
     */
    static String delayedType(Map<String, Object> arguments) {
        Object type = arguments == null ? null : arguments.get(TYPE_ARGUMENT);
        if (TYPE.equals(type)) {
            throw new BrokerException(ErrorKind.PRECONDITION_FAILED,
                    "Invalid argument, '" + TYPE + "' can't be used for '" + TYPE_ARGUMENT + "'");
        }
        if (!(type instanceof String name) || !Exchange.knownType(name)) {
            throw new BrokerException(ErrorKind.PRECONDITION_FAILED,
                    "Invalid argument, '" + TYPE_ARGUMENT + "' must be an existing exchange type");
        }
        return name;
    }

    /** The type this exchange routes like. */
    public String delayedType() {
        return matcher.type();
    }

    /** The exchange of the underlying type that matches messages (for binding validation). */
    Exchange matcher() {
        return matcher;
    }

    @Override
    public String type() {
        return TYPE;
    }

    @Override
    public void route(Message message, String routingKey, List<Destination> out) {
        matcher.route(message, routingKey, out);
    }

    @Override
    protected void addRoute(Binding binding) {
        matcher.addRoute(binding);
    }

    @Override
    protected void removeRoute(Binding binding) {
        matcher.removeRoute(binding);
    }
}
