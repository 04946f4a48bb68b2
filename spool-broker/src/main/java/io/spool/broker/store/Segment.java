package io.spool.broker.store;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * One segment of a queue's store: a data file of message records ({@code NNNNNNNNNN.msgs}), an
 * ack file listing the offsets of settled records ({@code NNNNNNNNNN.acks}, u32 each), and a
 * file of failed-delivery counts of records that came back to the queue
 * ({@code NNNNNNNNNN.dlvs}, u32 offset and u32 count each, the last one for an offset wins). A
 * segment whose records are all settled is deleted with its other files.
 *
 * <p>Threads: appends, acks and counters under the owning queue's lock; {@link #read} and
 * {@link #force} from any thread (positional I/O on a FileChannel is thread-safe).
 */
final class Segment {

    final long id;
    final Path dataPath;
    final Path ackPath;
    final Path deliveriesPath;
    private final FileChannel data;
    private FileChannel acks;
    private FileChannel deliveries;
    /** Bytes in the data file (everything written, flushed or not to disk). */
    private volatile long fileSize;
    /** Records in this segment, and how many of them are settled. */
    int records;
    int settled;
    /** Written to since the last fsync. */
    boolean unsynced;

    private Segment(long id, Path dir, FileChannel data, long fileSize) {
        this.id = id;
        this.dataPath = dataPath(dir, id);
        this.ackPath = dir.resolve(String.format("%010d.acks", id));
        this.deliveriesPath = dir.resolve(String.format("%010d.dlvs", id));
        this.data = data;
        this.fileSize = fileSize;
    }

    static Path dataPath(Path dir, long id) {
        return dir.resolve(String.format("%010d.msgs", id));
    }

    static Segment create(Path dir, long id, boolean durable) throws IOException {
        FileChannel ch = FileChannel.open(dataPath(dir, id), StandardOpenOption.CREATE_NEW, StandardOpenOption.READ,
                StandardOpenOption.WRITE);
        Segment s = new Segment(id, dir, ch, 0);
        // An ack file left by an earlier segment of this id (a crash while it was deleted) would
        // settle the new segment's records at the same offsets.
        Files.deleteIfExists(s.ackPath);
        Files.deleteIfExists(s.deliveriesPath);
        if (durable) {
            // The new file's directory entry must survive a power loss too, or so would not
            // the confirmed messages written into it. Once per segment, not per message.
            Storage.fsyncDirectory(dir);
        }
        return s;
    }

    static Segment open(Path dir, long id) throws IOException {
        FileChannel ch = FileChannel.open(dataPath(dir, id), StandardOpenOption.READ, StandardOpenOption.WRITE);
        return new Segment(id, dir, ch, ch.size());
    }

    long fileSize() {
        return fileSize;
    }

    FileChannel data() {
        return data;
    }

    /** Appends bytes to the data file. */
    void append(ByteBuffer bytes) throws IOException {
        long at = fileSize;
        while (bytes.hasRemaining()) {
            at += data.write(bytes, at);
        }
        fileSize = at;
        unsynced = true;
    }

    /** Appends settled offsets to the ack file. */
    void appendAcks(ByteBuffer offsets) throws IOException {
        if (acks == null) {
            acks = FileChannel.open(ackPath, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                    StandardOpenOption.APPEND);
        }
        while (offsets.hasRemaining()) {
            acks.write(offsets);
        }
    }

    /** Appends the failed-delivery count of the record at an offset. */
    void appendDeliveries(long offset, int count) throws IOException {
        if (deliveries == null) {
            deliveries = FileChannel.open(deliveriesPath, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                    StandardOpenOption.APPEND);
        }
        ByteBuffer entry = ByteBuffer.allocate(8).putInt((int) offset).putInt(count).flip();
        while (entry.hasRemaining()) {
            deliveries.write(entry);
        }
    }

    /** Reads {@code dst.remaining()} bytes at an offset; false if the segment is gone or short. */
    boolean read(long offset, ByteBuffer dst) throws IOException {
        try {
            long at = offset;
            while (dst.hasRemaining()) {
                int n = data.read(dst, at);
                if (n < 0) {
                    return false;
                }
                at += n;
            }
            return true;
        } catch (ClosedChannelException e) {
            return false;
        }
    }

    /** Forces written data to disk (fdatasync). A closed segment has nothing left to force. */
    void force() throws IOException {
        try {
            data.force(false);
        } catch (ClosedChannelException e) {
            // deleted meanwhile: all its records were settled
        }
    }

    /** Cuts the data file at an offset (a torn tail found by recovery). */
    void truncate(long size) throws IOException {
        data.truncate(size);
        data.force(true);
        fileSize = size;
    }

    boolean fullySettled() {
        return settled >= records;
    }

    void close() {
        closeQuietly(data);
        closeQuietly(acks);
        closeQuietly(deliveries);
    }

    /** Deletes the ack file first: a crash in between leaves records that come back, never stale acks. */
    void delete() throws IOException {
        close();
        Files.deleteIfExists(ackPath);
        Files.deleteIfExists(deliveriesPath);
        Files.deleteIfExists(dataPath);
    }

    private static void closeQuietly(FileChannel ch) {
        if (ch != null) {
            try {
                ch.close();
            } catch (IOException ignored) {
                // closing a file we are done with; nothing to do about it
            }
        }
    }
}
