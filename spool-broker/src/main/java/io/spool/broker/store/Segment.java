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
 * <p>A queue's segment keeps zeros written ahead of its data ({@link #zeroAhead}), so
 * recovery may find a file longer than its records, ending in zeros; those are cut without a
 * warning (see {@link SegmentScanner}).
 *
 * <p>Threads: appends, acks and counters under the owning queue's lock; {@link #read} and
 * {@link #force} from any thread (positional I/O on a FileChannel is thread-safe).
 */
final class Segment {

    /** The first stretch of zeros a segment writes ahead; each next one is twice as long. */
    static final int FIRST_ZEROS = 64 * 1024;
    static final int MAX_ZEROS = 1024 * 1024;
    /** Read only, through duplicates: shared by every thread. */
    static final ByteBuffer ZEROS = ByteBuffer.allocateDirect(MAX_ZEROS);

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
    /** How far {@link #zeroAhead} may write zeros (0: not at all). */
    private final long zeroLimit;
    /** Held while zeros are written ahead, and by appends that reach past them. */
    private final Object zeroLock = new Object();
    /** The file holds zeros (or data) up to here; past {@link #fileSize}, zeros written ahead. */
    private volatile long zeroedTo;
    private int nextZeros = FIRST_ZEROS;

    private Segment(long id, Path dir, FileChannel data, long fileSize, long zeroLimit) {
        this.id = id;
        this.zeroLimit = zeroLimit;
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
        return create(dir, id, durable, 0);
    }

    /** A new segment that keeps zeros written ahead of its data up to {@code zeroLimit} (see {@link #zeroAhead}). */
    static Segment create(Path dir, long id, boolean durable, long zeroLimit) throws IOException {
        FileChannel ch = FileChannel.open(dataPath(dir, id), StandardOpenOption.CREATE_NEW, StandardOpenOption.READ,
                StandardOpenOption.WRITE);
        Segment s = new Segment(id, dir, ch, 0, zeroLimit);
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
        return new Segment(id, dir, ch, ch.size(), 0);
    }

    long fileSize() {
        return fileSize;
    }

    FileChannel data() {
        return data;
    }

    /** Bytes the data file takes: its records and any zeros written ahead of them. */
    long bytesOnDisk() {
        return Math.max(fileSize, zeroedTo);
    }

    /** Appends bytes to the data file. */
    void append(ByteBuffer bytes) throws IOException {
        long at = fileSize;
        if (at + bytes.remaining() <= zeroedTo) {
            // Wholly below the zeros written so far: no zero write can touch these bytes.
            write(bytes, at);
        } else {
            synchronized (zeroLock) {
                write(bytes, at);
            }
        }
    }

    private void write(ByteBuffer bytes, long from) throws IOException {
        long at = from;
        while (bytes.hasRemaining()) {
            at += data.write(bytes, at);
        }
        fileSize = at;
        unsynced = true;
    }

    /**
     * Keeps zeros written ahead of the data, up to the limit the segment was created with, so
     * that the appends to come land on blocks the file already has. Why: an append that grows
     * the file changes its size too, and ext4 then commits its journal within the fdatasync
     * that follows. On this machine's disk an fdatasync after 40 KiB appends took 300-700 us
     * growing the file and ~200 us over zeros written before (PostgreSQL zero-fills its WAL
     * segments for the same reason). Only the fdatasync after each stretch of zeros pays for
     * the growth and for the zeros. The stretches double from 64 KiB to 1 MiB, so a queue that
     * takes a message now and then does not write a megabyte of zeros for each segment.
     *
     * <p>Called by the group commit after an fsync of this segment, without the queue's lock:
     * appends go on meanwhile. An append that reaches past the zeros waits for a zero write in
     * progress ({@code zeroLock}); one below them cannot meet one.
     */
    void zeroAhead() throws IOException {
        if (zeroLimit == 0) {
            return;
        }
        synchronized (zeroLock) {
            long from = Math.max(zeroedTo, fileSize);
            if (from - fileSize >= nextZeros / 2 || from >= zeroLimit) {
                return;
            }
            long to = Math.min(from + nextZeros, zeroLimit);
            try {
                for (long at = from; at < to; ) {
                    at += data.write(ZEROS.duplicate().limit((int) Math.min(MAX_ZEROS, to - at)), at);
                }
            } catch (ClosedChannelException e) {
                return; // deleted meanwhile: all its records were settled
            }
            zeroedTo = to;
            nextZeros = Math.min(2 * nextZeros, MAX_ZEROS);
        }
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
        zeroedTo = size;
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
