package io.spool.broker.model;

import java.util.Map;

/**
 * A subscription to a queue: the queue pushes messages to its owner while the consumer has
 * credit. Credit is the consumer's own prefetch window and its channel's shared one; consumers
 * in auto-ack mode need none.
 */
public final class Consumer {

    private final String tag;
    private final byte[] tagUtf8;
    private final Queue queue;
    private final ConsumerOwner owner;
    private final boolean autoAck;
    private final boolean exclusive;
    private final int priority;
    private final Prefetch own;
    private final Prefetch shared;
    private final Map<String, Object> arguments;
    private volatile boolean cancelled;

    public Consumer(String tag, Queue queue, ConsumerOwner owner, boolean autoAck, boolean exclusive,
                    int priority, Prefetch own, Prefetch shared, Map<String, Object> arguments) {
        this.tag = tag;
        this.tagUtf8 = tag.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        this.queue = queue;
        this.owner = owner;
        this.autoAck = autoAck;
        this.exclusive = exclusive;
        this.priority = priority;
        this.own = own;
        this.shared = shared;
        this.arguments = arguments == null ? Map.of() : arguments;
    }

    /** Reserves credit for one delivery; false if the consumer cannot take one now. */
    boolean tryReserve() {
        if (cancelled || !owner.readyForDeliveries()) {
            return false;
        }
        if (autoAck) {
            return true;
        }
        if (!own.tryAcquire()) {
            return false;
        }
        if (!shared.tryAcquire()) {
            own.release();
            return false;
        }
        return true;
    }

    /**
     * Returns the credit of one settled delivery. True if the channel-wide window was full, so
     * the caller should let every queue of the channel deliver again; the consumer's own
     * window reopening is handled by its queue, which delivers again after every settle.
     */
    public boolean releaseCredit() {
        if (autoAck) {
            return false;
        }
        own.release();
        return shared.release();
    }

    public String tag() { return tag; }
    /** The tag in UTF-8, written into every delivery. Do not modify. */
    public byte[] tagUtf8() { return tagUtf8; }
    public Queue queue() { return queue; }
    public ConsumerOwner owner() { return owner; }
    public boolean autoAck() { return autoAck; }
    public boolean exclusive() { return exclusive; }
    public int priority() { return priority; }
    public Map<String, Object> arguments() { return arguments; }
    public Prefetch prefetch() { return own; }

    public boolean cancelled() {
        return cancelled;
    }

    void markCancelled() {
        cancelled = true;
    }
}
