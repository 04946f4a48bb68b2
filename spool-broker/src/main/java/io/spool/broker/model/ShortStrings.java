package io.spool.broker.model;

import io.netty.buffer.ByteBuf;
import io.netty.util.concurrent.FastThreadLocal;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Decodes AMQP short strings, handing back the same String for bytes seen recently. Exchange
 * names, routing keys and header names repeat from one publish to the next, and decoding each
 * afresh was the largest single cost of publishing small messages (a byte copy, a UTF-8
 * decode and a String per name per message).
 *
 * <p>Each thread keeps a small direct-mapped table, so no locks: a slot holds the bytes and
 * the String of the last name that hashed to it.
 */
final class ShortStrings {

    private static final int SLOTS = 512;
    /** Longer strings are decoded directly: they rarely repeat and hashing them costs more. */
    private static final int MAX_CACHED = 64;

    private static final FastThreadLocal<ShortStrings> PER_THREAD = new FastThreadLocal<>() {
        @Override
        protected ShortStrings initialValue() {
            return new ShortStrings();
        }
    };

    private final byte[][] bytes = new byte[SLOTS][];
    private final String[] strings = new String[SLOTS];
    /** The bytes being looked up, copied out of the buffer in one go. */
    private final byte[] scratch = new byte[MAX_CACHED];

    private ShortStrings() {}

    /** Reads {@code len} bytes of UTF-8 at the reader index and moves past them. */
    static String read(ByteBuf in, int len) {
        if (len == 0) {
            return "";
        }
        if (len > MAX_CACHED) {
            byte[] b = new byte[len];
            in.readBytes(b);
            return new String(b, StandardCharsets.UTF_8);
        }
        return PER_THREAD.get().lookup(in, len);
    }

    private String lookup(ByteBuf in, int len) {
        // One bulk copy, then plain array loops: reading byte by byte through the buffer's
        // checked accessors cost more than the hashing itself.
        byte[] b = scratch;
        in.readBytes(b, 0, len);
        int h = len;
        for (int i = 0; i < len; i++) {
            h = 31 * h + b[i];
        }
        int slot = (h ^ (h >>> 16)) & (SLOTS - 1);
        byte[] known = bytes[slot];
        if (known != null && Arrays.equals(known, 0, known.length, b, 0, len)) {
            return strings[slot];
        }
        byte[] copy = Arrays.copyOf(b, len);
        String s = new String(copy, StandardCharsets.UTF_8);
        bytes[slot] = copy;
        strings[slot] = s;
        return s;
    }
}
