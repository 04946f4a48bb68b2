package io.spool.broker.model;

/**
 * One delivery of a message from a queue: the message (loaded from the cache or the store, with
 * its {@code x-delivery-count} when it was delivered before), its position in the queue's store,
 * and what the queue needs to put it back: its expiry, priority level and delivery count.
 * Created when the queue hands a message out; lives while the delivery awaits its ack.
 */
public final class QueueEntry {

    final Queue queue;
    final long position;
    final Message message;
    final boolean redelivered;
    /** How many earlier deliveries of this message came back. */
    final int deliveries;
    final long expiresAt;
    final int level;
    /** Counted in the queue's unacknowledged total; guarded by the queue's lock. */
    boolean unacked;

    QueueEntry(Queue queue, long position, Message message, boolean redelivered, int deliveries, long expiresAt,
               int level) {
        this.queue = queue;
        this.position = position;
        this.message = message;
        this.redelivered = redelivered;
        this.deliveries = deliveries;
        this.expiresAt = expiresAt;
        this.level = level;
    }

    /** An entry for a message that passes no queue, such as a direct reply. */
    public static QueueEntry unqueued(Message message) {
        return new QueueEntry(null, -1, message, false, 0, Long.MAX_VALUE, 0);
    }

    public Message message() {
        return message;
    }

    /** The queue this entry belongs to, or null for a direct reply. */
    public Queue queue() {
        return queue;
    }

    public long position() {
        return position;
    }

    /** Whether the message may have been delivered before (requeued, or recovered after a restart). */
    public boolean redelivered() {
        return redelivered;
    }
}
