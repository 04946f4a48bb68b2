package io.spool.broker.model;

import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * Routes by message headers. Each binding's arguments are the table to match; {@code x-match}
 * says how: {@code all} (the default) or {@code any}, ignoring arguments that start with
 * {@code x-}, or {@code all-with-x} / {@code any-with-x}, which compare those too. A value
 * compares equal only with the same value of the same type; a void binding value asks only that
 * the header be present.
 */
public final class HeadersExchange extends Exchange {

    public static final String TYPE = "headers";

    private volatile Matcher[] matchers = new Matcher[0];

    HeadersExchange(String name, boolean durable, boolean autoDelete, boolean internal, Map<String, Object> arguments) {
        super(name, durable, autoDelete, internal, arguments);
    }

    @Override
    public String type() {
        return TYPE;
    }

    /** Checks the {@code x-match} argument of a binding; returns an error text or null. */
    public static String validateBindingArguments(Map<String, Object> arguments) {
        if (arguments == null || !arguments.containsKey("x-match")) {
            return null;
        }
        Object mode = arguments.get("x-match");
        String text = mode == null ? null : mode.toString();
        if (!(mode instanceof String)) {
            return "Invalid x-match field type " + FieldTable.typeName(mode) + " (value " + mode
                    + "); expected longstr";
        }
        if (List.of("all", "any", "all-with-x", "any-with-x").contains(text)) {
            return null;
        }
        return "Invalid x-match field value '" + text + "'; expected all, any, all-with-x, or any-with-x";
    }

    private record Matcher(Binding binding, boolean any, boolean withX, Map.Entry<String, Object>[] pattern) {

        static Matcher of(Binding binding) {
            Object mode = binding.arguments().get("x-match");
            String m = mode == null ? "all" : mode.toString();
            boolean withX = m.endsWith("-with-x");
            @SuppressWarnings("unchecked")
            Map.Entry<String, Object>[] pattern = binding.arguments().entrySet().stream()
                    .filter(e -> !e.getKey().equals("x-match"))
                    .filter(e -> withX || !e.getKey().startsWith("x-"))
                    .toArray(Map.Entry[]::new);
            return new Matcher(binding, m.startsWith("any"), withX, pattern);
        }

        boolean matches(Map<String, Object> headers) {
            if (any) {
                for (Map.Entry<String, Object> p : pattern) {
                    if (matchesOne(p, headers)) {
                        return true;
                    }
                }
                return false;
            }
            for (Map.Entry<String, Object> p : pattern) {
                if (!matchesOne(p, headers)) {
                    return false;
                }
            }
            return true;
        }

        private boolean matchesOne(Map.Entry<String, Object> p, Map<String, Object> headers) {
            String key = p.getKey();
            if (!withX && key.startsWith("x-")) {
                return false;
            }
            if (!headers.containsKey(key)) {
                return false;
            }
            Object want = p.getValue();
            if (want == Binding.VoidValue.INSTANCE) {
                return true;
            }
            return FieldValues.equivalent(want, headers.get(key));
        }
    }

    @Override
    public void route(Message message, String routingKey, List<Destination> out) {
        Matcher[] all = matchers;
        if (all.length == 0) {
            return;
        }
        Map<String, Object> headers = message.properties().headers();
        for (Matcher m : all) {
            if (m.matches(headers)) {
                out.add(m.binding().destination());
            }
        }
    }

    @Override
    protected void addRoute(Binding binding) {
        Matcher[] old = matchers;
        Matcher[] copy = Arrays.copyOf(old, old.length + 1);
        copy[old.length] = Matcher.of(binding);
        matchers = copy;
    }

    @Override
    protected void removeRoute(Binding binding) {
        matchers = Arrays.stream(matchers).filter(m -> !m.binding().equals(binding)).toArray(Matcher[]::new);
    }
}
