package io.spool.broker.model;

import io.netty.buffer.ByteBuf;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Date;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads and writes AMQP field tables and arrays, with the type tags RabbitMQ and its clients use.
 *
 * <p>Decoded values are plain Java objects: Boolean, Byte, Short, Integer, Long, Float, Double,
 * BigDecimal, Date (timestamp), String (long string), byte[] (byte array), Map (table), List
 * (array) and null (void). Unsigned types widen to the next signed type. A long string that is
 * not valid UTF-8 decodes to {@link RawLongString} so that re-encoding gives back the same bytes.
 *
 * <p>Stateless; safe from any thread.
 */
public final class FieldTable {

    /**
     * Deepest nesting of tables and arrays accepted. Reading recurses, and a frame can hold
     * tens of thousands of levels: without a limit a client could overflow the reader's stack.
     */
    public static final int MAX_NESTING = 100;

    private FieldTable() {}

    /** A long string whose bytes are not valid UTF-8, kept as bytes. */
    public record RawLongString(byte[] bytes) {
        @Override
        public boolean equals(Object o) {
            return o instanceof RawLongString r && Arrays.equals(bytes, r.bytes);
        }

        @Override
        public int hashCode() {
            return Arrays.hashCode(bytes);
        }

        @Override
        public String toString() {
            return new String(bytes, StandardCharsets.ISO_8859_1);
        }
    }

    /** Thrown when bytes do not form a valid table; callers map it to a frame error. */
    public static final class MalformedTableException extends RuntimeException {
        public MalformedTableException(String message) {
            super(message, null, false, false);
        }
    }

    /** Reads a table: a 32-bit length followed by that many bytes of name/value pairs. */
    public static Map<String, Object> read(ByteBuf in) {
        return read(in, 0);
    }

    private static Map<String, Object> read(ByteBuf in, int depth) {
        long length = in.readUnsignedInt();
        if (length > in.readableBytes()) {
            throw new MalformedTableException("table length " + length + " exceeds the frame");
        }
        return readEntries(in, (int) length, depth);
    }

    /** Reads the name/value pairs of a table whose length prefix has already been consumed. */
    public static Map<String, Object> readEntries(ByteBuf in, int length) {
        return readEntries(in, length, 0);
    }

    private static Map<String, Object> readEntries(ByteBuf in, int length, int depth) {
        checkNesting(depth);
        int end = in.readerIndex() + length;
        Map<String, Object> table = new LinkedHashMap<>();
        while (in.readerIndex() < end) {
            String name = readShortString(in);
            table.put(name, readValue(in, depth));
        }
        if (in.readerIndex() != end) {
            throw new MalformedTableException("table entries overrun the table length");
        }
        return table;
    }

    public static String readShortString(ByteBuf in) {
        int len = in.readUnsignedByte();
        if (len > in.readableBytes()) {
            throw new MalformedTableException("short string length " + len + " exceeds the frame");
        }
        return ShortStrings.read(in, len);
    }

    public static Object readLongString(ByteBuf in) {
        long len = in.readUnsignedInt();
        if (len > in.readableBytes()) {
            throw new MalformedTableException("long string length " + len + " exceeds the frame");
        }
        byte[] bytes = new byte[(int) len];
        in.readBytes(bytes);
        try {
            return StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes))
                    .toString();
        } catch (CharacterCodingException e) {
            return new RawLongString(bytes);
        }
    }

    private static void checkNesting(int depth) {
        if (depth > MAX_NESTING) {
            throw new MalformedTableException("tables and arrays nested more than " + MAX_NESTING + " levels deep");
        }
    }

    private static Object readValue(ByteBuf in, int depth) {
        char tag = (char) in.readUnsignedByte();
        switch (tag) {
            case 't': return in.readUnsignedByte() != 0;
            case 'b': return in.readByte();
            case 'B': return (short) in.readUnsignedByte();
            case 's': return in.readShort();
            case 'u': return in.readUnsignedShort();
            case 'I': return in.readInt();
            case 'i': return in.readUnsignedInt();
            case 'l': return in.readLong();
            case 'f': return in.readFloat();
            case 'd': return in.readDouble();
            case 'D': {
                int scale = in.readUnsignedByte();
                int unscaled = in.readInt();
                return new BigDecimal(BigInteger.valueOf(unscaled), scale);
            }
            case 'T': return new Date(in.readLong() * 1000L);
            case 'S': return readLongString(in);
            case 'x': {
                long len = in.readUnsignedInt();
                if (len > in.readableBytes()) {
                    throw new MalformedTableException("byte array length " + len + " exceeds the frame");
                }
                byte[] bytes = new byte[(int) len];
                in.readBytes(bytes);
                return bytes;
            }
            case 'F': return read(in, depth + 1);
            case 'A': return readArray(in, depth + 1);
            case 'V': return null;
            default:
                throw new MalformedTableException("unknown field type '" + tag + "'");
        }
    }

    private static List<Object> readArray(ByteBuf in, int depth) {
        checkNesting(depth);
        long length = in.readUnsignedInt();
        if (length > in.readableBytes()) {
            throw new MalformedTableException("array length " + length + " exceeds the frame");
        }
        int end = in.readerIndex() + (int) length;
        List<Object> list = new ArrayList<>();
        while (in.readerIndex() < end) {
            list.add(readValue(in, depth));
        }
        if (in.readerIndex() != end) {
            throw new MalformedTableException("array entries overrun the array length");
        }
        return list;
    }

    /** Writes a table with its 32-bit length prefix. A null table is written as empty. */
    public static void write(ByteBuf out, Map<String, ?> table) {
        int lengthAt = out.writerIndex();
        out.writeInt(0);
        if (table != null) {
            for (Map.Entry<String, ?> e : table.entrySet()) {
                writeShortString(out, e.getKey());
                writeValue(out, e.getValue());
            }
        }
        out.setInt(lengthAt, out.writerIndex() - lengthAt - 4);
    }

    public static void writeShortString(ByteBuf out, String s) {
        int lengthAt = out.writerIndex();
        out.writeByte(0);
        int written = out.writeCharSequence(s, StandardCharsets.UTF_8);
        if (written > 255) {
            throw new IllegalArgumentException("short string longer than 255 bytes: " + s);
        }
        out.setByte(lengthAt, written);
    }

    public static void writeLongString(ByteBuf out, String s) {
        int lengthAt = out.writerIndex();
        out.writeInt(0);
        int written = out.writeCharSequence(s, StandardCharsets.UTF_8);
        out.setInt(lengthAt, written);
    }

    private static void writeValue(ByteBuf out, Object v) {
        if (v == null) {
            out.writeByte('V');
        } else if (v instanceof String s) {
            out.writeByte('S');
            writeLongString(out, s);
        } else if (v instanceof RawLongString r) {
            out.writeByte('S');
            out.writeInt(r.bytes().length);
            out.writeBytes(r.bytes());
        } else if (v instanceof Integer i) {
            out.writeByte('I');
            out.writeInt(i);
        } else if (v instanceof Long l) {
            out.writeByte('l');
            out.writeLong(l);
        } else if (v instanceof Boolean b) {
            out.writeByte('t');
            out.writeByte(b ? 1 : 0);
        } else if (v instanceof Map<?, ?> m) {
            out.writeByte('F');
            @SuppressWarnings("unchecked")
            Map<String, ?> table = (Map<String, ?>) m;
            write(out, table);
        } else if (v instanceof List<?> list) {
            out.writeByte('A');
            int lengthAt = out.writerIndex();
            out.writeInt(0);
            for (Object item : list) {
                writeValue(out, item);
            }
            out.setInt(lengthAt, out.writerIndex() - lengthAt - 4);
        } else if (v instanceof Byte b) {
            out.writeByte('b');
            out.writeByte(b);
        } else if (v instanceof Short s) {
            out.writeByte('s');
            out.writeShort(s);
        } else if (v instanceof Float f) {
            out.writeByte('f');
            out.writeFloat(f);
        } else if (v instanceof Double d) {
            out.writeByte('d');
            out.writeDouble(d);
        } else if (v instanceof BigDecimal d) {
            out.writeByte('D');
            out.writeByte(d.scale());
            out.writeInt(d.unscaledValue().intValueExact());
        } else if (v instanceof Date d) {
            out.writeByte('T');
            out.writeLong(d.getTime() / 1000L);
        } else if (v instanceof byte[] bytes) {
            out.writeByte('x');
            out.writeInt(bytes.length);
            out.writeBytes(bytes);
        } else {
            throw new IllegalArgumentException("cannot encode a " + v.getClass().getName() + " in a field table");
        }
    }

    /**
     * A short human name for a value's AMQP type, as RabbitMQ prints it in "inequivalent arg"
     * errors.
     */
    public static String typeName(Object v) {
        if (v == null) return "void";
        if (v instanceof String || v instanceof RawLongString) return "longstr";
        if (v instanceof Integer) return "signedint";
        if (v instanceof Long) return "long";
        if (v instanceof Boolean) return "bool";
        if (v instanceof Map) return "table";
        if (v instanceof List) return "array";
        if (v instanceof Byte) return "byte";
        if (v instanceof Short) return "short";
        if (v instanceof Float) return "float";
        if (v instanceof Double) return "double";
        if (v instanceof BigDecimal) return "decimal";
        if (v instanceof Date) return "timestamp";
        if (v instanceof byte[]) return "binary";
        return v.getClass().getSimpleName();
    }
}
