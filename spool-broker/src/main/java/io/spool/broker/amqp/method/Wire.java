package io.spool.broker.amqp.method;

import io.netty.buffer.ByteBuf;
import io.spool.broker.model.FieldTable;
import java.nio.charset.StandardCharsets;
import java.util.Map;

/** Reads and writes the AMQP 0-9-1 argument types that method frames carry. Stateless. */
public final class Wire {

    private Wire() {}

    public static String shortStr(ByteBuf in) {
        return FieldTable.readShortString(in);
    }

    public static void shortStr(ByteBuf out, String s) {
        FieldTable.writeShortString(out, s == null ? "" : s);
    }

    public static byte[] longStrBytes(ByteBuf in) {
        long len = in.readUnsignedInt();
        if (len > in.readableBytes()) {
            throw new FieldTable.MalformedTableException("long string length " + len + " exceeds the frame");
        }
        byte[] bytes = new byte[(int) len];
        in.readBytes(bytes);
        return bytes;
    }

    public static String longStr(ByteBuf in) {
        return new String(longStrBytes(in), StandardCharsets.UTF_8);
    }

    public static void longStr(ByteBuf out, byte[] bytes) {
        out.writeInt(bytes.length);
        out.writeBytes(bytes);
    }

    public static void longStr(ByteBuf out, String s) {
        longStr(out, (s == null ? "" : s).getBytes(StandardCharsets.UTF_8));
    }

    public static Map<String, Object> table(ByteBuf in) {
        return FieldTable.read(in);
    }

    public static void table(ByteBuf out, Map<String, ?> table) {
        FieldTable.write(out, table);
    }

    public static boolean bit(int bits, int index) {
        return (bits & (1 << index)) != 0;
    }

    /** Packs booleans into one octet, first argument in the lowest bit. */
    public static int bits(boolean... values) {
        int b = 0;
        for (int i = 0; i < values.length; i++) {
            if (values[i]) {
                b |= 1 << i;
            }
        }
        return b;
    }
}
