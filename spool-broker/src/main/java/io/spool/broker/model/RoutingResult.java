package io.spool.broker.model;

import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;

/**
 * Where one publish goes: the queues it matched (each once) and, for a direct reply, the
 * consumer waiting for it. Also the message as delivered, which differs from the one published
 * when routing strips the {@code BCC} header.
 *
 * <p>A message that reached an {@code x-delayed-message} exchange with a delay is not routed
 * through it: the exchange and the delay are noted instead ({@link #delayed()}), for the caller
 * to schedule with {@link VirtualHost#enqueueRouted}.
 *
 * <p>Reused: one instance per publishing channel, reset before each route. Not thread-safe.
 */
public final class RoutingResult {

    /** A delayed exchange the message reached, and the delay its header asks for. */
    record DelayedHop(Exchange exchange, long delayMillis) {}

    private static final int LINEAR_LIMIT = 16;

    private final ArrayList<Queue> queues = new ArrayList<>(4);
    private final IdentityHashMap<Queue, Boolean> seen = new IdentityHashMap<>();
    final ArrayList<Exchange> visited = new ArrayList<>(4);
    final ArrayList<Destination> scratch = new ArrayList<>(8);
    private final String[] oneKey = new String[1];
    private final List<String> oneKeyList = java.util.Arrays.asList(oneKey);
    /** Exchanges on the way that remembered the message's deduplication key, and the keys. */
    private final ArrayList<Exchange> dedupExchanges = new ArrayList<>(1);
    private final ArrayList<Object> dedupKeys = new ArrayList<>(1);
    private Consumer directReply;
    private boolean directReplyAddressed;
    /** A queue's reject-publish limit turned the message away (see VirtualHost#enqueueRouted). */
    private boolean rejected;
    private Message message;
    // ---- delayed delivery ----
    private final ArrayList<DelayedHop> delayedHops = new ArrayList<>(1);
    /** Set for the dry run that asks whether a delayed message would route now. */
    final boolean ignoreDelays;
    private VirtualHost vhost;
    private Exchange entered;
    private Message published;
    private int routableNow;

    public RoutingResult() {
        this(false);
    }

    RoutingResult(boolean ignoreDelays) {
        this.ignoreDelays = ignoreDelays;
    }

    void reset(Message m, VirtualHost host, Exchange exchange) {
        vhost = host;
        entered = exchange;
        published = m;
        routableNow = 0;
        if (!delayedHops.isEmpty()) {
            delayedHops.clear();
        }
        reset(m);
    }

    private void reset(Message m) {
        queues.clear();
        if (!seen.isEmpty()) {
            // IdentityHashMap.clear wipes its whole table even when empty.
            seen.clear();
        }
        visited.clear();
        scratch.clear();
        dedupExchanges.clear();
        dedupKeys.clear();
        directReply = null;
        directReplyAddressed = false;
        rejected = false;
        message = m;
    }

    /** A one-element list of the routing key, without allocating. */
    List<String> singleKey(String key) {
        oneKey[0] = key;
        return oneKeyList;
    }

    void addQueue(Queue q) {
        if (queues.size() < LINEAR_LIMIT) {
            for (int i = 0; i < queues.size(); i++) {
                if (queues.get(i) == q) {
                    return;
                }
            }
            queues.add(q);
            if (queues.size() == LINEAR_LIMIT) {
                for (Queue each : queues) {
                    seen.put(each, Boolean.TRUE);
                }
            }
        } else if (seen.put(q, Boolean.TRUE) == null) {
            queues.add(q);
        }
    }

    /** A deduplicating exchange remembered this message's key on the way. */
    void rememberedAt(Exchange x, Object key) {
        dedupExchanges.add(x);
        dedupKeys.add(key);
    }

    /**
     * The publish was refused (a queue's reject-publish limit, the disk) and will be nacked: the
     * exchanges on the way forget its key, so that the publisher's retry is not taken for a
     * duplicate of a message that was never stored.
     */
    public void forgetDeduplicationKeys() {
        for (int i = 0; i < dedupExchanges.size(); i++) {
            dedupExchanges.get(i).forgetKey(dedupKeys.get(i));
        }
    }

    /**
     * A group-commit generation after the key records this publish left in the logs of the
     * exchanges that keep their keys on disk (remembered on the way, or forgotten when it was
     * refused); 0 if none does. Its confirm or nack waits for it.
     */
    public long keyLogGeneration() {
        long g = 0;
        for (int i = 0; i < dedupExchanges.size(); i++) {
            g = Math.max(g, dedupExchanges.get(i).keyLogGeneration());
        }
        return g;
    }

    /** A direct reply address was matched; {@code c} is its consumer, or null if it has gone. */
    void directReply(Consumer c, boolean addressed) {
        directReply = c;
        directReplyAddressed = addressed;
    }

    void message(Message m) {
        message = m;
    }

    /** The matched queues, each once. Valid until the next route. */
    public List<Queue> queues() {
        return queues;
    }

    /** The consumer of a direct reply-to address the message was published to, or null. */
    public Consumer directReply() {
        return directReply;
    }

    /** Whether a matched queue's reject-publish limit turned the message away when it was enqueued. */
    public boolean rejected() {
        return rejected;
    }

    void markRejected() {
        rejected = true;
    }

    /** The message to enqueue (with {@code BCC} removed when it had one). */
    public Message message() {
        return message;
    }

    /**
     * Whether the message went anywhere. A delayed message counts as routed when the exchange's
     * underlying type would route it now: Spool returns a mandatory delayed message only when
     * nothing matches, where the RabbitMQ plugin returns every one (its known limitation).
     * Bindings may still change before it is due.
     */
    public boolean routed() {
        if (!queues.isEmpty() || directReplyAddressed) {
            return true;
        }
        if (delayedHops.isEmpty()) {
            return false;
        }
        if (routableNow == 0) {
            routableNow = vhost.routesIgnoringDelays(entered, published) ? 1 : -1;
        }
        return routableNow > 0;
    }

    // ---- delayed delivery ----

    void delay(Exchange exchange, long delayMillis) {
        delayedHops.add(new DelayedHop(exchange, delayMillis));
    }

    /** True when the message reached a delayed exchange and waits to be scheduled. */
    public boolean delayed() {
        return !delayedHops.isEmpty();
    }

    /** The delayed exchanges reached, with their delays. Valid until the next route. */
    List<DelayedHop> delayedHops() {
        return delayedHops;
    }

    /** The message as published (the schedule keeps it so: CC and BCC route it again when due). */
    Message published() {
        return published;
    }
}
