package io.spool.broker.model;

import java.util.Map;

/**
 * A binding from a source exchange to a queue or exchange, with a routing key (its pattern for
 * topic exchanges) and arguments (the match table for headers exchanges). Two bindings are the
 * same binding when all four parts are equal.
 */
public record Binding(Exchange source, Destination destination, String routingKey, Map<String, Object> arguments) {

    public Binding {
        arguments = arguments == null ? Map.of() : Map.copyOf(withoutNulls(arguments));
    }

    private static Map<String, Object> withoutNulls(Map<String, Object> args) {
        // Not containsValue(null): immutable maps (Map.of) throw on a null query.
        if (args.values().stream().noneMatch(java.util.Objects::isNull)) {
            return args;
        }
        // Map.copyOf refuses nulls; a void value in a headers binding means "present with any
        // value", so keep it with a marker.
        java.util.LinkedHashMap<String, Object> copy = new java.util.LinkedHashMap<>();
        args.forEach((k, v) -> copy.put(k, v == null ? VoidValue.INSTANCE : v));
        return copy;
    }

    /** The arguments as the wire carries them, with void values as null again. */
    public static Map<String, Object> wireArguments(Map<String, Object> args) {
        if (!args.containsValue(VoidValue.INSTANCE)) {
            return args;
        }
        java.util.LinkedHashMap<String, Object> copy = new java.util.LinkedHashMap<>();
        args.forEach((k, v) -> copy.put(k, v == VoidValue.INSTANCE ? null : v));
        return copy;
    }

    /** Stands for a void (null) value in binding arguments. */
    public enum VoidValue {
        INSTANCE
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Binding b
                && b.source == source
                && b.destination == destination
                && b.routingKey.equals(routingKey)
                && b.arguments.equals(arguments);
    }

    @Override
    public int hashCode() {
        return System.identityHashCode(source) * 31 * 31
                + System.identityHashCode(destination) * 31
                + routingKey.hashCode() + arguments.hashCode();
    }

    @Override
    public String toString() {
        return "binding " + source.name() + " -> " + destination.kindName() + " '" + destination.name()
                + "' key '" + routingKey + "'";
    }
}
