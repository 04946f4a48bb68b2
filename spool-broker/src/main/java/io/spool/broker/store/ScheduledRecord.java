package io.spool.broker.store;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.spool.broker.model.Message;
import java.nio.ByteBuffer;
import java.util.zip.CRC32C;

/**
 * How one scheduled message is laid out in a schedule file. The envelope (magic, length, CRC)
 * is that of {@link MessageRecord}, so {@link SegmentScanner} checks and resynchronises these
 * files exactly as it does queue segments; the payload adds when the message is due and where
 * it goes then:
 *
 * <pre>
 *   u32 magic 'SPOL'
 *   u32 length         of the payload
 *   u32 crc32c         of the length field and the payload
 *   payload:  u8 flags (bit 0: persistent, bit 1: the target is a queue, not an exchange)
 *             u64          due time, milliseconds since the epoch
 *             u8 + bytes   target: the exchange to route through, or the queue to enqueue into
 *             u8 + bytes   exchange the message was published to
 *             u8 + bytes   routing key
 *             u32 + bytes  properties, exactly as published
 *             bytes        body (the rest)
 * </pre>
 *
 * Stateless.
 */
final class ScheduledRecord {

    static final int FLAG_PERSISTENT = MessageRecord.FLAG_PERSISTENT;
    static final int FLAG_TO_QUEUE = 2;
    /** Offset of the due time within the payload, after the flags byte. */
    static final int DUE_OFFSET = 1;
    /** Offset of the target's length byte within the payload. */
    static final int TARGET_OFFSET = 1 + 8;

    private ScheduledRecord() {}

    static int size(byte[] target, Message m) {
        return MessageRecord.HEADER + 1 + 8 + 1 + target.length + MessageRecord.messageSize(m);
    }

    /** Appends the record of a scheduled message to {@code out}. */
    static void write(ByteBuf out, long due, boolean toQueue, byte[] target, Message m) {
        int start = MessageRecord.begin(out);
        int flags = (m.properties().persistent() ? FLAG_PERSISTENT : 0) | (toQueue ? FLAG_TO_QUEUE : 0);
        out.writeByte(flags);
        out.writeLong(due);
        out.writeByte(target.length);
        out.writeBytes(target);
        MessageRecord.writeMessage(out, m);
        MessageRecord.seal(out, start);
    }

    /**
     * Checks a whole record (header and payload, positioned on its first byte) and decodes it;
     * null if its magic, length or CRC is wrong.
     */
    static ScheduledMessage read(ByteBuffer record, long locator) {
        int at = record.position();
        if (record.remaining() < MessageRecord.HEADER || record.getInt(at) != MessageRecord.MAGIC) {
            return null;
        }
        int length = record.getInt(at + 4);
        if (length < TARGET_OFFSET + 1 || length != record.remaining() - MessageRecord.HEADER) {
            return null;
        }
        CRC32C crc = new CRC32C();
        crc.update(record.duplicate().position(at + 4).limit(at + 8));
        crc.update(record.duplicate().position(at + MessageRecord.HEADER));
        if ((int) crc.getValue() != record.getInt(at + 8)) {
            return null;
        }
        ByteBuf in = Unpooled.wrappedBuffer(record.duplicate().position(at + MessageRecord.HEADER));
        int flags = in.readUnsignedByte();
        long due = in.readLong();
        String target = MessageRecord.readShortString(in);
        Message m = MessageRecord.readMessage(in);
        return new ScheduledMessage(due, (flags & FLAG_TO_QUEUE) != 0, target, m, locator);
    }
}
