package io.spool.broker.store;

import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * A window of a segment file read in one go, so that draining a deep queue costs one read per
 * window rather than two per message: records are laid out in queue order, so the next ones
 * are usually already here. Segment files never change once written, so a window stays valid.
 *
 * <p>Thread: used under the owning queue's lock.
 */
final class ReadAhead {

    private static final int WINDOW = 128 * 1024;

    private ByteBuffer window;
    private long segment = -1;
    private long start;
    private int length;

    /**
     * The whole record (header and payload) at an offset, as a buffer positioned on it; null
     * if the file holds no complete record there. The buffer is valid until the next call.
     */
    ByteBuffer record(Segment s, long offset) throws IOException {
        if (!covers(s.id, offset, MessageRecord.HEADER) && !fill(s, offset, WINDOW, MessageRecord.HEADER)) {
            return null;
        }
        int at = (int) (offset - start);
        if (window.getInt(at) != MessageRecord.MAGIC) {
            return null;
        }
        int payload = window.getInt(at + 4);
        if (payload < 0 || payload > MessageRecord.MAX_PAYLOAD) {
            return null;
        }
        int total = MessageRecord.HEADER + payload;
        if (total > WINDOW) {
            return readLarge(s, offset, total);
        }
        if (!covers(s.id, offset, total) && !fill(s, offset, WINDOW, total)) {
            return null;
        }
        at = (int) (offset - start);
        return window.duplicate().limit(at + total).position(at);
    }

    /**
     * A record larger than the window gets a buffer of its own, dropped with the message, so
     * that a queue does not keep the memory of the largest message it ever delivered.
     */
    private static ByteBuffer readLarge(Segment s, long offset, int total) throws IOException {
        if (s.fileSize() - offset < total) {
            return null;
        }
        ByteBuffer record = ByteBuffer.allocate(total);
        if (!s.read(offset, record)) {
            return null;
        }
        return record.flip();
    }

    /** Drops the window (the queue went idle); the next read allocates a new one. */
    void release() {
        window = null;
        segment = -1;
        length = 0;
    }

    private boolean covers(long id, long offset, int n) {
        return id == segment && offset >= start && offset + n <= start + length;
    }

    /** Reads up to {@code size} bytes from {@code offset}; true if at least {@code needed} came. */
    private boolean fill(Segment s, long offset, int size, int needed) throws IOException {
        int n = (int) Math.min(size, s.fileSize() - offset);
        if (n < needed) {
            return false;
        }
        if (window == null) {
            window = ByteBuffer.allocate(WINDOW);
        }
        window.clear().limit(n);
        segment = -1;
        if (!s.read(offset, window)) {
            return false;
        }
        segment = s.id;
        start = offset;
        length = n;
        return true;
    }
}
