package io.spool.broker.store;

/**
 * A message's place in its queue's store packed into one long: the segment id in the high 32
 * bits, the byte offset within the segment in the low 32. Positions grow in append order, so
 * they double as the queue order.
 */
public final class Position {

    private Position() {}

    public static long of(long segment, long offset) {
        return segment << 32 | offset;
    }

    public static long segment(long position) {
        return position >>> 32;
    }

    public static long offset(long position) {
        return position & 0xFFFF_FFFFL;
    }

    public static String toString(long position) {
        return segment(position) + ":" + offset(position);
    }
}
