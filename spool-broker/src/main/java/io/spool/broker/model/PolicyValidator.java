package io.spool.broker.model;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * Checks a policy as it arrives (from the management API, say) and builds it. The texts follow
 * RabbitMQ's ({@code Validation failed: <<"abc">> is not a valid message TTL}), values written
 * the way RabbitMQ writes them, so advice found for RabbitMQ reads the same here. Every refusal
 * is a {@link BrokerException} of kind PRECONDITION_FAILED (HTTP 400).
 */
public final class PolicyValidator {

    private PolicyValidator() {}

    /** Checks of one definition key: the value is valid, or the noun for "is not a valid ...". */
    private enum Key {
        MESSAGE_TTL("message-ttl", "message TTL") {
            boolean accepts(Object v) { return isInteger(v, 0, QueueArguments.MAX_TTL); }
        },
        EXPIRES("expires", "queue expiry") {
            boolean accepts(Object v) { return isInteger(v, 1, QueueArguments.MAX_TTL); }
        },
        MAX_LENGTH("max-length", "maximum length") {
            boolean accepts(Object v) { return isInteger(v, 0, Long.MAX_VALUE); }
        },
        MAX_LENGTH_BYTES("max-length-bytes", "maximum length in bytes") {
            boolean accepts(Object v) { return isInteger(v, 0, Long.MAX_VALUE); }
        },
        OVERFLOW("overflow", "overflow value") {
            boolean accepts(Object v) { return v instanceof String s && QueueArguments.Overflow.of(s) != null; }
        },
        DEAD_LETTER_EXCHANGE("dead-letter-exchange", "dead letter exchange name") {
            boolean accepts(Object v) { return v instanceof String; }
        },
        DEAD_LETTER_ROUTING_KEY("dead-letter-routing-key", "dead letter routing key") {
            boolean accepts(Object v) { return v instanceof String; }
        },
        DELIVERY_LIMIT("delivery-limit", "delivery limit") {
            boolean accepts(Object v) { return isInteger(v, 0, Long.MAX_VALUE); }
        },
        CONSUMER_TIMEOUT("consumer-timeout", "consumer timeout") {
            boolean accepts(Object v) { return isInteger(v, 0, QueueArguments.MAX_TTL); }
        },
        ALTERNATE_EXCHANGE("alternate-exchange", "alternate exchange name") {
            boolean accepts(Object v) { return v instanceof String; }
        },
        MESSAGE_DEDUPLICATION("message-deduplication", "message deduplication flag") {
            boolean accepts(Object v) { return v instanceof Boolean; }
        },
        CACHE_SIZE("cache-size", "deduplication cache size") {
            boolean accepts(Object v) { return isInteger(v, 1, Integer.MAX_VALUE); }
        },
        CACHE_TTL("cache-ttl", "deduplication cache TTL") {
            boolean accepts(Object v) { return isInteger(v, 1, QueueArguments.MAX_TTL); }
        };

        final String name;
        final String noun;

        Key(String name, String noun) {
            this.name = name;
            this.noun = noun;
        }

        abstract boolean accepts(Object v);

        /**
         * The key a definition entry stands for. The deduplication keys may also carry the
         * {@code x-} prefix, as the RabbitMQ plugin's policies spell them.
         */
        static Key of(String name) {
            String bare = name.startsWith("x-") && DeduplicationSettings.isPolicyAlias(name) ? name.substring(2) : name;
            for (Key k : values()) {
                if (k.name.equals(bare)) {
                    return k;
                }
            }
            return null;
        }
    }

    /**
     * Builds a policy from the parts of a request, as JSON gave them: {@code pattern} a string,
     * {@code definition} an object, {@code priority} an integer (or a string of one) or null for
     * 0, {@code applyTo} a string or null for "all".
     */
    public static Policy build(String name, Object pattern, Object definition, Object priority, Object applyTo) {
        if (name == null || name.isEmpty()) {
            throw invalid("a policy needs a name");
        }
        Pattern compiled = pattern(pattern);
        Map<String, Object> def = definition(definition);
        return new Policy(name, compiled, def, priority(priority), applyTo(applyTo));
    }

    private static Pattern pattern(Object pattern) {
        if (!(pattern instanceof String s)) {
            throw invalid(pattern == null ? "pattern is required" : term(pattern) + " is not a valid pattern");
        }
        try {
            return Pattern.compile(s);
        } catch (PatternSyntaxException e) {
            throw invalid(term(s) + " is not a valid regular expression: " + e.getDescription());
        }
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> definition(Object definition) {
        if (definition == null) {
            throw invalid("no policy provided");
        }
        if (!(definition instanceof Map<?, ?> map)) {
            throw invalid("definition must be a dictionary");
        }
        if (map.isEmpty()) {
            throw invalid("no policy provided");
        }
        Map<String, Object> def = (Map<String, Object>) map;
        List<String> unknown = new ArrayList<>();
        List<Key> seen = new ArrayList<>();
        for (Map.Entry<String, Object> e : def.entrySet()) {
            Key k = Key.of(e.getKey());
            if (k == null) {
                unknown.add("{" + term(e.getKey()) + "," + term(e.getValue()) + "}");
            } else if (seen.contains(k)) {
                // "cache-size" and "x-cache-size" at once: which one was meant?
                throw invalid("duplicate keys not allowed: " + term(e.getKey()));
            } else {
                seen.add(k);
            }
        }
        if (!unknown.isEmpty()) {
            throw invalid("[" + String.join(",", unknown) + "] are not recognised policy settings");
        }
        for (Map.Entry<String, Object> e : def.entrySet()) {
            Key k = Key.of(e.getKey());
            if (!k.accepts(e.getValue())) {
                throw invalid(term(e.getValue()) + " is not a valid " + k.noun);
            }
        }
        return def;
    }

    private static int priority(Object priority) {
        if (priority == null) {
            return 0;
        }
        if (priority instanceof Integer || priority instanceof Short || priority instanceof Byte) {
            return ((Number) priority).intValue();
        }
        if (priority instanceof String s) {
            try {
                return Integer.parseInt(s.trim());
            } catch (NumberFormatException e) {
                // refused below, with the value
            }
        }
        throw invalid(term(priority) + " is not a valid priority");
    }

    private static Policy.ApplyTo applyTo(Object applyTo) {
        if (applyTo == null) {
            return Policy.ApplyTo.ALL;
        }
        Policy.ApplyTo a = applyTo instanceof String s ? Policy.ApplyTo.of(s) : null;
        if (a == null) {
            throw invalid("apply-to '" + applyTo + "'"
                    + " unrecognised; should be one of: 'queues', 'classic_queues', 'exchanges' or 'all'");
        }
        return a;
    }

    private static boolean isInteger(Object v, long min, long max) {
        if (v instanceof Byte || v instanceof Short || v instanceof Integer || v instanceof Long) {
            long n = ((Number) v).longValue();
            return n >= min && n <= max;
        }
        // A BigInteger is a number too large for a long: out of every range.
        return false;
    }

    /** A value as RabbitMQ prints an Erlang term: strings as binaries, the rest as themselves. */
    static String term(Object v) {
        return v instanceof String s ? "<<\"" + s + "\">>" : String.valueOf(v);
    }

    private static BrokerException invalid(String why) {
        return new BrokerException(ErrorKind.PRECONDITION_FAILED, "Validation failed: " + why);
    }
}
