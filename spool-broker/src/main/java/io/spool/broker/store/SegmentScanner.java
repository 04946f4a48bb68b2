package io.spool.broker.store;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.util.zip.CRC32C;

/**
 * Walks a segment file record by record and checks each one (magic, length, CRC) the way
 * recovery needs it, trusting nothing. A bad record followed by good ones is skipped (damage
 * in the middle); bad bytes after the last good record are a torn tail the caller cuts. Zeros
 * and nothing else after the last good record are space written ahead (see {@link Segment}),
 * which the caller cuts too, but as no damage.
 *
 * <p>Reads through a 1 MiB window so a scan costs about one read per MiB; a record larger than
 * the window has its CRC computed in pieces. One scanner per thread.
 */
final class SegmentScanner {

    /** Told about every good record, in file order. */
    interface Visitor {
        void record(long offset, int length, boolean persistent, int priority, long expiresAt, int bodySize);
    }

    /**
     * Told about every good record of any layout that shares the envelope (magic, length, CRC):
     * where it starts and its payload length. The schedule of delayed messages reads its own
     * record layout this way.
     */
    interface RecordVisitor {
        void record(long offset, int length) throws IOException;
    }

    /**
     * What a scan found: where the good data ends, and what was bad. {@code cutBytes} follow
     * the good data and are damage: a torn tail. {@code zeroBytes} follow it instead when they
     * are all zeros, written ahead of the data.
     */
    record Result(int records, int damaged, long goodEnd, long cutBytes, long zeroBytes) {

        /** Bytes after the good data, damage or zeros: where a recovered file is cut. */
        long tail() {
            return cutBytes + zeroBytes;
        }
    }

    private static final int WINDOW = 1 << 20;
    private static final int MIN_PAYLOAD = MessageRecord.FIXED + 1 + 1 + 4;

    private final ByteBuffer window = ByteBuffer.allocateDirect(WINDOW);
    private FileChannel ch;
    private long size;
    private long windowStart;
    private int windowLength;

    /** Set by {@link #stop()} from a visitor; ends the scan after the record being visited. */
    private boolean stopped;

    /** Scans a queue segment, reading the fields of each message record for the visitor. */
    Result scan(FileChannel channel, Visitor visitor) throws IOException {
        return scan(channel, 0, (offset, length) -> visitRecord(visitor, offset, length));
    }

    /**
     * Scans from an offset where a record starts (one an earlier scan ended on). The schedule
     * of delayed messages reads its files this way a chunk at a time.
     */
    Result scan(FileChannel channel, long from, RecordVisitor visitor) throws IOException {
        this.ch = channel;
        this.size = channel.size();
        this.windowStart = 0;
        this.windowLength = 0;
        this.stopped = false;
        int records = 0;
        int damaged = 0;
        long goodEnd = from;
        long pos = from;
        boolean zeroTail = false;
        while (pos < size && !stopped) {
            int length = validRecordAt(pos);
            if (length < 0) {
                if (pos == goodEnd && zerosToEnd(pos)) {
                    zeroTail = true;
                    break;
                }
                long next = resync(pos + 1);
                if (next < 0) {
                    break;
                }
                damaged++;
                pos = next;
                continue;
            }
            visitor.record(pos, length);
            records++;
            pos += MessageRecord.HEADER + length;
            goodEnd = pos;
        }
        long tail = size - goodEnd;
        return zeroTail ? new Result(records, damaged, goodEnd, 0, tail) : new Result(records, damaged, goodEnd, tail, 0);
    }

    /** Ends the scan once the visitor returns; the result's {@code goodEnd} is where to go on. */
    void stop() {
        stopped = true;
    }

    /**
     * Bytes of the file at an offset (at most the 1 MiB window), for a visitor reading fields of
     * the record it was just told about; null past the end. Valid until the visitor returns.
     */
    ByteBuffer bytesAt(long from, int length) throws IOException {
        return length > WINDOW ? null : bytes(from, length);
    }

    /** The payload length of a valid record at this offset, or -1. */
    private int validRecordAt(long pos) throws IOException {
        if (size - pos < MessageRecord.HEADER + MIN_PAYLOAD) {
            return -1;
        }
        ByteBuffer header = bytes(pos, MessageRecord.HEADER);
        if (header == null || header.getInt(header.position()) != MessageRecord.MAGIC) {
            return -1;
        }
        int length = header.getInt(header.position() + 4);
        int storedCrc = header.getInt(header.position() + 8);
        if (length < MIN_PAYLOAD || length > MessageRecord.MAX_PAYLOAD || pos + MessageRecord.HEADER + length > size) {
            return -1;
        }
        CRC32C crc = new CRC32C();
        crc.update(header.duplicate().position(header.position() + 4).limit(header.position() + 8));
        update(crc, pos + MessageRecord.HEADER, length);
        return (int) crc.getValue() == storedCrc ? length : -1;
    }

    /** Reads what recovery keeps of a valid record: flags, priority, expiry and body size. */
    private void visitRecord(Visitor visitor, long pos, int length) throws IOException {
        long at = pos + MessageRecord.HEADER;
        ByteBuffer fixed = bytes(at, MessageRecord.FIXED + 1);
        int p = fixed.position();
        boolean persistent = (fixed.get(p) & MessageRecord.FLAG_PERSISTENT) != 0;
        int priority = fixed.get(p + 1) & 0xFF;
        long expiresAt = fixed.getLong(p + 2);
        int exchangeLength = fixed.get(p + MessageRecord.FIXED) & 0xFF;
        long keyAt = at + MessageRecord.FIXED + 1 + exchangeLength;
        ByteBuffer key = bytes(keyAt, 1);
        int keyLength = key.get(key.position()) & 0xFF;
        long propsAt = keyAt + 1 + keyLength;
        ByteBuffer props = bytes(propsAt, 4);
        int propsLength = props.getInt(props.position());
        int bodySize = (int) (at + length - (propsAt + 4 + propsLength));
        visitor.record(pos, length, persistent, priority, expiresAt, bodySize);
    }

    /** True if the file holds nothing but zeros from {@code from} to its end. */
    private boolean zerosToEnd(long from) throws IOException {
        for (long at = from; at < size; ) {
            int n = (int) Math.min(Segment.MAX_ZEROS, size - at);
            ByteBuffer b = bytes(at, n);
            if (b == null || b.mismatch(Segment.ZEROS.duplicate().limit(n)) >= 0) {
                return false;
            }
            at += n;
        }
        return true;
    }

    /** Finds the next offset at or after {@code from} where a whole valid record starts. */
    private long resync(long from) throws IOException {
        for (long p = from; p + MessageRecord.HEADER + MIN_PAYLOAD <= size; p++) {
            ByteBuffer b = bytes(p, 4);
            if (b != null && b.getInt(b.position()) == MessageRecord.MAGIC && validRecordAt(p) >= 0) {
                return p;
            }
        }
        return -1;
    }

    private void update(CRC32C crc, long from, int length) throws IOException {
        long at = from;
        long left = length;
        while (left > 0) {
            int n = (int) Math.min(WINDOW, left);
            ByteBuffer b = bytes(at, n);
            crc.update(b);
            at += n;
            left -= n;
        }
    }

    /**
     * A buffer positioned on {@code length} bytes at {@code from} (at most the window size),
     * refilling the window when they are not in it; null past the end of the file.
     */
    private ByteBuffer bytes(long from, int length) throws IOException {
        if (from < windowStart || from + length > windowStart + windowLength) {
            fill(from);
            if (from + length > windowStart + windowLength) {
                return null;
            }
        }
        int at = (int) (from - windowStart);
        return window.duplicate().limit(at + length).position(at);
    }

    private void fill(long from) throws IOException {
        window.clear();
        long at = from;
        while (window.hasRemaining() && at < size) {
            int n = ch.read(window, at);
            if (n < 0) {
                break;
            }
            at += n;
        }
        windowStart = from;
        windowLength = window.position();
    }

}
