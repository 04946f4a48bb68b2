package io.spool.broker.model;

import io.netty.buffer.ByteBuf;
import io.netty.util.concurrent.FastThreadLocal;
import java.nio.charset.StandardCharsets;

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
        int start = in.readerIndex();
        int h = len;
        for (int i = 0; i < len; i++) {
            h = 31 * h + in.getByte(start + i);
        }
        int slot = (h ^ (h >>> 16)) & (SLOTS - 1);
        byte[] known = bytes[slot];
        if (known != null && known.length == len && sameBytes(in, start, known)) {
            in.skipBytes(len);
            return strings[slot];
        }
        byte[] b = new byte[len];
        in.readBytes(b);
        String s = new String(b, StandardCharsets.UTF_8);
        bytes[slot] = b;
        strings[slot] = s;
        return s;
    }

    private static boolean sameBytes(ByteBuf in, int start, byte[] known) {
        for (int i = 0; i < known.length; i++) {
            if (in.getByte(start + i) != known[i]) {
                return false;
            }
        }
        return true;
    }
}
