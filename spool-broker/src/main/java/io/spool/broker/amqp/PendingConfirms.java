package io.spool.broker.amqp;

import io.spool.broker.util.LongDeque;

/**
 * Replies a channel owes once messages are on disk, in the order they were earned: publisher
 * confirms (ack or nack of a publish sequence number) and tx.commit-ok. Each waits for a
 * group-commit generation; replies go out strictly in order so that a multiple ack never
 * covers a message still waiting. Thread: the connection's event loop.
 */
final class PendingConfirms {

    /** The tag of a tx.commit-ok; positive tags are acks, negative ones nacks. */
    static final long COMMIT_OK = 0;

    private final LongDeque tags = new LongDeque();
    private final LongDeque generations = new LongDeque();

    void add(long tag, long generation) {
        tags.addLast(tag);
        generations.addLast(generation);
    }

    boolean isEmpty() {
        return tags.isEmpty();
    }

    /** True if the oldest reply may go out now that {@code durable} is on disk. */
    boolean firstReady(long durable) {
        return !tags.isEmpty() && generations.peekFirst() <= durable;
    }

    long poll() {
        generations.pollFirst();
        return tags.pollFirst();
    }

    void clear() {
        tags.clear();
        generations.clear();
    }
}
