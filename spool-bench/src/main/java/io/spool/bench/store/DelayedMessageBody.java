package io.spool.bench.store;

import java.nio.ByteBuffer;

/**
 * The body of a benchmark's delayed message: the due time the publisher asked for (epoch ms)
 * and the message's number, then padding, so the consumer can tell how late each arrived and
 * whether any came twice or not at all. Stateless.
 */
final class DelayedMessageBody {

    private DelayedMessageBody() {}

    static byte[] of(long dueMillis, int number, int size) {
        return ByteBuffer.allocate(Math.max(16, size)).putLong(dueMillis).putInt(number).array();
    }

    static long due(byte[] body) {
        return ByteBuffer.wrap(body).getLong(0);
    }

    static int number(byte[] body) {
        return ByteBuffer.wrap(body).getInt(8);
    }
}
