package io.spool.broker.store;

import io.netty.buffer.ByteBuf;
import io.spool.broker.model.Message;
import io.spool.broker.model.MessageProperties;
import java.nio.charset.StandardCharsets;
import java.util.zip.CRC32C;

/**
 * How one message is laid out in a segment file:
 *
 * <pre>
 *   u32 magic 'SPOL'   finds records again after damage
 *   u32 length         of the payload
 *   u32 crc32c         of the length field and the payload
 *   payload:  u8 flags (bit 0: persistent)
 *             u8 priority  the queue level it waits at
 *             u64          expires at (epoch ms; Long.MAX_VALUE: never), fixed at enqueue
 *             u8 + bytes   exchange
 *             u8 + bytes   routing key
 *             u32 + bytes  properties, exactly as published
 *             bytes        body (the rest)
 * </pre>
 *
 * Stateless.
 */
final class MessageRecord {

    static final int MAGIC = 0x53504F4C;
    static final int HEADER = 12;
    static final int FLAG_PERSISTENT = 1;
    /** Payload bytes before the exchange name: flags, priority, expiry. */
    static final int FIXED = 1 + 1 + 8;
    /** Larger lengths are damage, not data: the broker caps bodies at 512 MiB. */
    static final int MAX_PAYLOAD = 512 * 1024 * 1024 + 64 * 1024;

    private MessageRecord() {}

    static int size(Message m) {
        return HEADER + payloadSize(m);
    }

    private static int payloadSize(Message m) {
        return FIXED + messageSize(m);
    }

    /** Bytes of the message part every payload ends with: exchange, key, properties, body. */
    static int messageSize(Message m) {
        return 1 + m.exchangeUtf8().length + 1 + m.routingKeyUtf8().length
                + 4 + m.properties().raw().length + m.body().length;
    }

    /** Appends the record for a message to {@code out}. */
    static void write(ByteBuf out, Message m, boolean persistent, int priority, long expiresAt) {
        int start = begin(out);
        out.writeByte(persistent ? FLAG_PERSISTENT : 0);
        out.writeByte(priority);
        out.writeLong(expiresAt);
        writeMessage(out, m);
        seal(out, start);
    }

    /** Starts a record: the magic and room for length and CRC. Returns where it starts. */
    static int begin(ByteBuf out) {
        int start = out.writerIndex();
        out.writeInt(MAGIC);
        out.writeInt(0);
        out.writeInt(0);
        return start;
    }

    /** Ends the record begun at {@code start}: fills in the payload's length and the CRC. */
    static void seal(ByteBuf out, int start) {
        int payloadStart = start + HEADER;
        int length = out.writerIndex() - payloadStart;
        out.setInt(start + 4, length);
        CRC32C crc = new CRC32C();
        crc.update(out.nioBuffer(start + 4, 4));
        crc.update(out.nioBuffer(payloadStart, length));
        out.setInt(start + 8, (int) crc.getValue());
    }

    /** Writes the message part every payload ends with. */
    static void writeMessage(ByteBuf out, Message m) {
        out.writeByte(m.exchangeUtf8().length);
        out.writeBytes(m.exchangeUtf8());
        out.writeByte(m.routingKeyUtf8().length);
        out.writeBytes(m.routingKeyUtf8());
        byte[] props = m.properties().raw();
        out.writeInt(props.length);
        out.writeBytes(props);
        out.writeBytes(m.body());
    }

    /** Decodes a record's payload (the bytes after the 12-byte header). */
    static Message read(ByteBuf payload) {
        payload.skipBytes(FIXED);
        return readMessage(payload);
    }

    /** Reads the message part every payload ends with: the rest of {@code in}. */
    static Message readMessage(ByteBuf in) {
        String exchange = readShortString(in);
        String routingKey = readShortString(in);
        byte[] props = new byte[in.readInt()];
        in.readBytes(props);
        byte[] body = new byte[in.readableBytes()];
        in.readBytes(body);
        return new Message(exchange, routingKey, MessageProperties.decode(props), body);
    }

    static String readShortString(ByteBuf in) {
        int n = in.readUnsignedByte();
        String s = in.toString(in.readerIndex(), n, StandardCharsets.UTF_8);
        in.skipBytes(n);
        return s;
    }
}
