package io.spool.broker.model;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.nio.ByteBuffer;
import java.util.Map;

/**
 * Deduplication keys: read from a message's {@code x-deduplication-header}, and written as bytes
 * for an exchange's log on disk. Keys compare by value and type, as in the plugin: "1" and 1
 * differ, but integers of any width are one type, and byte arrays compare by content.
 */
final class DeduplicationKeys {

    /** The field name a key is stored under: a one-entry field table is its encoding. */
    private static final String FIELD = "k";

    private DeduplicationKeys() {
    }

    /** The deduplication key of a message, or null if it has none. */
    static Object of(Message m) {
        if (!m.properties().hasHeaders()) {
            return null;
        }
        return normalized(m.properties().headers().get(DeduplicationSettings.KEY_HEADER));
    }

    private static Object normalized(Object v) {
        if (v instanceof Byte || v instanceof Short || v instanceof Integer) {
            return ((Number) v).longValue();
        }
        if (v instanceof byte[] bytes) {
            return ByteBuffer.wrap(bytes);
        }
        return v;
    }

    /** A key as bytes, read back by {@link #decode}. */
    static byte[] encode(Object key) {
        Object value = key;
        if (key instanceof ByteBuffer b) {
            byte[] bytes = new byte[b.remaining()];
            b.duplicate().get(bytes);
            value = bytes;
        }
        ByteBuf out = Unpooled.buffer(32);
        try {
            FieldTable.write(out, Map.of(FIELD, value));
            byte[] bytes = new byte[out.readableBytes()];
            out.readBytes(bytes);
            return bytes;
        } finally {
            out.release();
        }
    }

    /** The key {@link #encode} wrote; a malformed one is a {@link FieldTable.MalformedTableException}. */
    static Object decode(byte[] bytes) {
        Map<String, Object> table = FieldTable.read(Unpooled.wrappedBuffer(bytes));
        Object v = table.get(FIELD);
        if (v == null) {
            throw new FieldTable.MalformedTableException("no key in a deduplication record");
        }
        return normalized(v);
    }
}
