package io.spool.broker.store;

import io.spool.broker.model.Message;

/**
 * A scheduled message read back from the schedule when it is due: when it was due, where it
 * goes (an exchange to route through, or a queue to enqueue into) and the message itself.
 * Hand it back to {@link ScheduleStore#settle} once delivered. Immutable.
 */
public final class ScheduledMessage {

    private final long due;
    private final boolean toQueue;
    private final String target;
    private final Message message;
    /** Where the record lies: the file's handle and the offset in it (see {@link ScheduleStore}). */
    final long locator;

    ScheduledMessage(long due, boolean toQueue, String target, Message message, long locator) {
        this.due = due;
        this.toQueue = toQueue;
        this.target = target;
        this.message = message;
        this.locator = locator;
    }

    /** Milliseconds since the epoch at which the message was due. */
    public long due() {
        return due;
    }

    /** True when the target is a queue (a broker-side retry), false for an exchange. */
    public boolean toQueue() {
        return toQueue;
    }

    /** The name of the exchange or queue the message goes to. */
    public String target() {
        return target;
    }

    public Message message() {
        return message;
    }
}
