package io.spool.broker.model;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * A policy: arguments applied to the queues and exchanges of a virtual host whose names match
 * a pattern, as RabbitMQ's policies are. Of all policies matching an object, the one with the
 * highest priority applies, and only that one. Immutable; build one with {@link PolicyValidator}
 * so that it is known to be valid.
 *
 * @param name       unique within the virtual host
 * @param pattern    a regular expression searched for anywhere in the name (RabbitMQ's PCRE
 *                   search is unanchored too: {@code ^} and {@code $} anchor it)
 * @param definition setting names without the {@code x-} prefix, e.g. {@code max-length}
 * @param priority   higher wins; ties go to the name that sorts first, so the outcome is stable
 * @param applyTo    which kind of object it may apply to
 */
public record Policy(String name, Pattern pattern, Map<String, Object> definition, int priority, ApplyTo applyTo) {

    public Policy {
        definition = Collections.unmodifiableMap(new LinkedHashMap<>(definition));
    }

    /** The kinds of object a policy may apply to: RabbitMQ's names, minus the queue types Spool lacks. */
    public enum ApplyTo {
        ALL("all", true, true),
        QUEUES("queues", true, false),
        CLASSIC_QUEUES("classic_queues", true, false),
        EXCHANGES("exchanges", false, true);

        public final String wire;
        final boolean queues;
        final boolean exchanges;

        ApplyTo(String wire, boolean queues, boolean exchanges) {
            this.wire = wire;
            this.queues = queues;
            this.exchanges = exchanges;
        }

        /** The value for a wire name, or null if there is none. */
        public static ApplyTo of(String wire) {
            for (ApplyTo a : values()) {
                if (a.wire.equals(wire)) {
                    return a;
                }
            }
            return null;
        }
    }

    public boolean matchesQueue(String queueName) {
        return applyTo.queues && pattern.matcher(queueName).find();
    }

    public boolean matchesExchange(String exchangeName) {
        return applyTo.exchanges && pattern.matcher(exchangeName).find();
    }

    /** True if this policy wins over {@code other} where both match. */
    boolean outranks(Policy other) {
        return priority != other.priority ? priority > other.priority : name.compareTo(other.name) < 0;
    }
}
