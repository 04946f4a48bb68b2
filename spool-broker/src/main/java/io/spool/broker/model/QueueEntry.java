package io.spool.broker.model;

/**
 * One message's place in one queue: the shared message plus what this queue knows of it (its
 * position, whether it was delivered before). Guarded by the queue's lock except where noted.
 */
public final class QueueEntry {

    /** Position in the queue; requeued entries go back in this order. */
    final long seq;
    final Message message;
    final Queue queue;
    boolean redelivered;
    /** Counted in the queue's unacknowledged total (a delivery awaiting its ack). */
    boolean unacked;

    QueueEntry(Queue queue, long seq, Message message) {
        this.queue = queue;
        this.seq = seq;
        this.message = message;
    }

    /** An entry for a message that passes no queue, such as a direct reply. */
    public static QueueEntry unqueued(Message message) {
        return new QueueEntry(null, 0, message);
    }

    public Message message() {
        return message;
    }

    /** The queue this entry belongs to, or null for a direct reply. */
    public Queue queue() {
        return queue;
    }

    /**
     * Whether the message was delivered before. Read by the delivering thread after the queue
     * handed the entry over, when the queue no longer changes it.
     */
    public boolean redelivered() {
        return redelivered;
    }
}
