package io.spool.bench.store;

import java.nio.ByteBuffer;
import java.util.Arrays;

/**
 * Benchmark bodies: the message's index in the first eight bytes, so the drain can check that
 * every message came back once and in order, then filler up to the body size.
 */
final class MessageBody {

    private MessageBody() {}

    static byte[] numbered(long index, int size) {
        byte[] body = new byte[size];
        Arrays.fill(body, 8, size, (byte) 'x');
        ByteBuffer.wrap(body).putLong(0, index);
        return body;
    }

    static long index(byte[] body) {
        return body.length < 8 ? -1 : ByteBuffer.wrap(body).getLong(0);
    }
}
