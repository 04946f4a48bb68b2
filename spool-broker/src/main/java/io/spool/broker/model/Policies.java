package io.spool.broker.model;

import java.util.ArrayList;
import java.util.List;

/**
 * The policies of a virtual host, best first, and which one applies to a name.
 *
 * <p>Threads: reads are lock-free against an immutable list; changes replace the list and are
 * made only under the virtual host's topology lock, which also re-applies them.
 */
final class Policies {

    private volatile List<Policy> ranked = List.of();

    /** Every policy, highest priority first (ties by name), as RabbitMQ lists them. */
    List<Policy> all() {
        return ranked;
    }

    Policy get(String name) {
        for (Policy p : ranked) {
            if (p.name().equals(name)) {
                return p;
            }
        }
        return null;
    }

    /** Adds or replaces a policy; returns the one it replaced, or null. */
    Policy put(Policy policy) {
        List<Policy> next = new ArrayList<>(ranked.size() + 1);
        Policy old = null;
        for (Policy p : ranked) {
            if (p.name().equals(policy.name())) {
                old = p;
            } else {
                next.add(p);
            }
        }
        next.add(policy);
        next.sort((a, b) -> a.outranks(b) ? -1 : b.outranks(a) ? 1 : 0);
        ranked = List.copyOf(next);
        return old;
    }

    /** Removes a policy; returns it, or null if there was none of that name. */
    Policy remove(String name) {
        Policy old = get(name);
        if (old != null) {
            List<Policy> next = new ArrayList<>(ranked);
            next.remove(old);
            ranked = List.copyOf(next);
        }
        return old;
    }

    /** The policy that applies to a queue of this name, or null. */
    Policy forQueue(String queueName) {
        for (Policy p : ranked) {
            if (p.matchesQueue(queueName)) {
                return p;
            }
        }
        return null;
    }

    /** The policy that applies to an exchange of this name, or null. */
    Policy forExchange(String exchangeName) {
        for (Policy p : ranked) {
            if (p.matchesExchange(exchangeName)) {
                return p;
            }
        }
        return null;
    }
}
