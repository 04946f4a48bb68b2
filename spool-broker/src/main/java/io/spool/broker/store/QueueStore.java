package io.spool.broker.store;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.spool.broker.model.Message;
import io.spool.broker.util.LongDeque;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Stream;
import java.util.zip.CRC32C;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A queue's messages on disk: append-only segment files of CRC-checked records, an ack file per
 * segment, the failed-delivery counts of messages that came back, and recovery that checks
 * every record. The queue keeps only positions in memory.
 *
 * <p>Appends go through a write buffer that reaches the file when it fills, when a read needs
 * it, or when {@link GroupCommit} flushes the store; persistent messages of a durable queue
 * are confirmed only after the group commit has fsynced them. Acks of persistent records are
 * written to the ack files (without fsync: losing one to a crash only redelivers a message).
 * A segment whose records are all settled is deleted.
 *
 * <p>Threads: everything is guarded by the owning queue's lock ({@code lock}) except the fsync
 * half of a group commit.
 */
public final class QueueStore extends CommitParticipant {

    private static final Logger log = LoggerFactory.getLogger(QueueStore.class);
    private static final int FLUSH_THRESHOLD = 64 * 1024;
    private static final int ACK_FLUSH_THRESHOLD = 4096;
    private static final String CLEAN_FILE = "clean-shutdown";

    private final Path dir;
    private final boolean durable;
    private final GroupCommit commit;
    private final Object lock;
    private final long segmentSize;
    private final ConcurrentHashMap<Long, Segment> segments = new ConcurrentHashMap<>();
    private final List<Segment> unsynced = new ArrayList<>();
    private final LongDeque pendingAcks = new LongDeque();
    private final ReadAhead readAhead = new ReadAhead();
    final AtomicBoolean lazilyEnlisted = new AtomicBoolean();
    /** Appended to or read since the last idle sweep. */
    private boolean active;
    private Segment current;
    private long nextSegmentId = 1;
    private ByteBuf writeBuffer;
    private boolean needsSync;
    private long syncGeneration;
    private boolean closed;

    private QueueStore(Path dir, boolean durable, GroupCommit commit, Object lock, long segmentSize) {
        this.dir = dir;
        this.durable = durable;
        this.commit = commit;
        this.lock = lock;
        this.segmentSize = segmentSize;
        commit.register(this);
    }

    /** A store for a new queue, in an empty directory (whatever was there is removed). */
    public static QueueStore create(Path dir, boolean durable, GroupCommit commit, Object lock, long segmentSize) {
        try {
            deleteDirectory(dir);
            Files.createDirectories(dir);
            Storage.fsyncDirectory(dir.getParent());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create queue store " + dir, e);
        }
        return new QueueStore(dir, durable, commit, lock, segmentSize);
    }

    /**
     * What recovery found. {@code positions}, {@code expiries} and {@code metas} run in step:
     * for each waiting message its position, when it expires (epoch ms, Long.MAX_VALUE never),
     * and its priority and body size packed by {@link #meta}. {@code deliveries} holds the
     * failed-delivery counts of the waiting messages that came back before, by position.
     */
    public record Recovery(QueueStore store, LongDeque positions, LongDeque expiries, LongDeque metas,
                           Map<Long, Integer> deliveries, long redeliverBelow, int recovered, int acked,
                           int transientDropped, int damaged, long cutBytes, int segmentsDeleted, long millis) {}

    /**
     * Opens the store of a durable queue after a restart: checks every record, cuts torn tails,
     * skips damaged records, replays the ack files, and returns the positions of the messages
     * still waiting, in order. Non-persistent records do not survive a restart.
     */
    public static Recovery recover(Path dir, GroupCommit commit, Object lock, long segmentSize) throws IOException {
        long started = System.nanoTime();
        Files.createDirectories(dir);
        QueueStore store = new QueueStore(dir, true, commit, lock, segmentSize);
        long redeliverBelow = readCleanShutdown(dir);
        long[] ids;
        try (Stream<Path> files = Files.list(dir)) {
            ids = files.map(p -> p.getFileName().toString())
                    .filter(n -> n.endsWith(".msgs"))
                    .mapToLong(n -> Long.parseLong(n.substring(0, n.length() - 5)))
                    .sorted().toArray();
        }
        LongDeque live = new LongDeque(1024);
        LongDeque expiries = new LongDeque(1024);
        LongDeque metas = new LongDeque(1024);
        Map<Long, Integer> deliveries = new HashMap<>();
        int[] counts = new int[3];
        int damaged = 0;
        long cut = 0;
        int deleted = 0;
        SegmentScanner scanner = new SegmentScanner();
        for (long id : ids) {
            Segment s = Segment.open(dir, id);
            long[] acked = readAcks(s.ackPath);
            Map<Long, Integer> segmentDeliveries = readDeliveries(s.deliveriesPath);
            int[] ackCursor = {0};
            SegmentScanner.Result r = scanner.scan(s.data(), (offset, length, persistent, priority, expiresAt, bodySize) -> {
                s.records++;
                while (ackCursor[0] < acked.length && acked[ackCursor[0]] < offset) {
                    ackCursor[0]++;
                }
                boolean isAcked = ackCursor[0] < acked.length && acked[ackCursor[0]] == offset;
                if (!persistent) {
                    s.settled++;
                    counts[2]++;
                } else if (isAcked) {
                    s.settled++;
                    counts[1]++;
                } else {
                    live.addLast(Position.of(id, offset));
                    expiries.addLast(expiresAt);
                    metas.addLast(meta(priority, bodySize));
                    Integer failed = segmentDeliveries.get(offset);
                    if (failed != null) {
                        deliveries.put(Position.of(id, offset), failed);
                    }
                    counts[0]++;
                }
            });
            damaged += r.damaged();
            if (r.cutBytes() > 0) {
                log.warn("queue store {}: cutting {} bytes of torn or damaged tail from segment {} at offset {}",
                        dir.getFileName(), r.cutBytes(), id, r.goodEnd());
                cut += r.cutBytes();
            }
            if (r.tail() > 0) {
                s.truncate(r.goodEnd());
            }
            if (r.damaged() > 0) {
                log.warn("queue store {}: skipped {} damaged region(s) in segment {}", dir.getFileName(), r.damaged(), id);
            }
            if (s.fullySettled()) {
                s.delete();
                deleted++;
            } else {
                store.segments.put(id, s);
            }
            store.nextSegmentId = Math.max(store.nextSegmentId, id + 1);
        }
        // New messages go to a fresh segment, after every recovered one.
        if (redeliverBelow == Long.MAX_VALUE || redeliverBelow > Position.of(store.nextSegmentId, 0)) {
            redeliverBelow = Position.of(store.nextSegmentId, 0);
        }
        long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);
        return new Recovery(store, live, expiries, metas, deliveries, redeliverBelow, counts[0], counts[1], counts[2], damaged, cut, deleted, millis);
    }

    /** Packs a priority and a body size into one long. */
    public static long meta(int priority, int bodySize) {
        return (long) priority << 32 | (bodySize & 0xFFFF_FFFFL);
    }

    public static int priorityOf(long meta) {
        return (int) (meta >>> 32);
    }

    public static int bodySizeOf(long meta) {
        return (int) meta;
    }

    /** Sorted offsets from an ack file; a torn last entry is ignored. */
    static long[] readAcks(Path ackPath) throws IOException {
        if (!Files.exists(ackPath)) {
            return new long[0];
        }
        byte[] bytes = Files.readAllBytes(ackPath);
        ByteBuffer b = ByteBuffer.wrap(bytes).order(ByteOrder.BIG_ENDIAN);
        long[] offsets = new long[bytes.length / 4];
        for (int i = 0; i < offsets.length; i++) {
            offsets[i] = b.getInt() & 0xFFFF_FFFFL;
        }
        Arrays.sort(offsets);
        return offsets;
    }

    /** Failed-delivery counts by record offset; the last entry for an offset wins, a torn last entry is ignored. */
    private static Map<Long, Integer> readDeliveries(Path path) throws IOException {
        if (!Files.exists(path)) {
            return Map.of();
        }
        ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(path)).order(ByteOrder.BIG_ENDIAN);
        Map<Long, Integer> counts = new HashMap<>();
        while (b.remaining() >= 8) {
            counts.put(b.getInt() & 0xFFFF_FFFFL, b.getInt());
        }
        return counts;
    }

    /**
     * The "delivered below" mark a clean shutdown left, consumed so that a later crash is seen
     * as one; Long.MAX_VALUE (everything may have been delivered) after a crash.
     */
    private static long readCleanShutdown(Path dir) throws IOException {
        Path f = dir.resolve(CLEAN_FILE);
        if (!Files.exists(f)) {
            return Long.MAX_VALUE;
        }
        String text = Files.readString(f).trim();
        Files.delete(f);
        try {
            return Long.parseLong(text);
        } catch (NumberFormatException e) {
            return Long.MAX_VALUE;
        }
    }

    // ---- appending ----

    /**
     * Appends a message and returns its position. The caller holds the queue lock.
     *
     * @throws UncheckedIOException when the disk refuses the write
     */
    public long append(Message m, boolean persistent, int priority, long expiresAt) {
        active = true;
        int size = MessageRecord.size(m);
        if (current == null || current.records > 0 && pendingEnd() + size > segmentSize) {
            roll();
        }
        if (writeBuffer == null) {
            writeBuffer = PooledByteBufAllocator.DEFAULT.directBuffer(Math.max(FLUSH_THRESHOLD, size + 64));
        }
        long offset = pendingEnd();
        MessageRecord.write(writeBuffer, m, persistent, priority, expiresAt);
        current.records++;
        if (writeBuffer.readableBytes() >= FLUSH_THRESHOLD) {
            flushBuffer();
        }
        if (durable && persistent) {
            needsSync = true;
            // Enlist before taking the generation: a commit that counts this generation as
            // durable must find this store in its list (see GroupCommit).
            commit.enlist(this);
            syncGeneration = commit.nextGeneration();
        }
        return Position.of(current.id, offset);
    }

    /**
     * The group-commit generation after which the last persistent append is on disk; the
     * caller holds the queue lock and asks right after {@link #append}.
     */
    public long syncGeneration() {
        return syncGeneration;
    }

    private long pendingEnd() {
        return current.fileSize() + (writeBuffer == null ? 0 : writeBuffer.readableBytes());
    }

    private void roll() {
        flushBuffer();
        Segment old = current;
        try {
            // Zeros go ahead of a durable queue's records, up to the segment's size (see Segment).
            current = Segment.create(dir, nextSegmentId++, durable, durable ? segmentSize : 0);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create a segment in " + dir, e);
        }
        segments.put(current.id, current);
        if (old != null && old.fullySettled()) {
            deleteSegment(old);
        }
    }

    private void flushBuffer() {
        if (writeBuffer == null || !writeBuffer.isReadable()) {
            return;
        }
        try {
            current.append(writeBuffer.nioBuffer());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write to " + current.dataPath, e);
        }
        writeBuffer.clear();
        if (writeBuffer.capacity() > 2 * FLUSH_THRESHOLD) {
            // It grew for a large record, which is on its way to disk now: give the memory
            // back rather than keep it for as long as the queue lives.
            writeBuffer.release();
            writeBuffer = null;
        }
        if (durable && !unsynced.contains(current)) {
            unsynced.add(current);
        }
    }

    // ---- reading ----

    /**
     * Reads the message at a position, or returns null if it is no longer stored (its queue
     * was deleted) or its record fails its CRC. The caller holds the queue lock.
     */
    public Message read(long position) {
        Segment s = segments.get(Position.segment(position));
        if (s == null) {
            return null;
        }
        active = true;
        long offset = Position.offset(position);
        if (s == current && offset + MessageRecord.HEADER > s.fileSize()) {
            flushBuffer();
        }
        try {
            ByteBuffer record = readAhead.record(s, offset);
            if (record == null) {
                log.error("queue store {}: no valid record at {}", dir.getFileName(), Position.toString(position));
                return null;
            }
            int at = record.position();
            CRC32C crc = new CRC32C();
            crc.update(record.duplicate().position(at + 4).limit(at + 8));
            crc.update(record.duplicate().position(at + MessageRecord.HEADER));
            if ((int) crc.getValue() != record.getInt(at + 8)) {
                log.error("queue store {}: record at {} fails its CRC; the message is lost", dir.getFileName(),
                        Position.toString(position));
                return null;
            }
            return MessageRecord.read(Unpooled.wrappedBuffer(record.position(at + MessageRecord.HEADER)));
        } catch (IOException e) {
            log.error("queue store {}: cannot read {}", dir.getFileName(), Position.toString(position), e);
            return null;
        }
    }

    /**
     * Records how many failed deliveries the persistent message at a position has had, so its
     * x-delivery-count and delivery limit survive a restart, as a quorum queue's do. Written to
     * the file at once (without fsync, like acks): requeues are failures, not the hot path, and
     * a kill -9 right after one must not lose it. The caller holds the lock.
     */
    public void recordDeliveries(long position, int count) {
        Segment s = segments.get(Position.segment(position));
        if (!durable || s == null) {
            return;
        }
        try {
            s.appendDeliveries(Position.offset(position), count);
        } catch (IOException e) {
            log.error("queue store {}: cannot record the delivery count of {}", dir.getFileName(),
                    Position.toString(position), e);
        }
    }

    // ---- settling ----

    /** Records that the message at a position is settled (acked, dropped). The caller holds the lock. */
    public void settle(long position, boolean persistent) {
        Segment s = segments.get(Position.segment(position));
        if (s == null) {
            return;
        }
        s.settled++;
        // The segment being written stays even when all of it is settled: deleting it would
        // mean a new file per message for a queue that empties as fast as it fills. The idle
        // sweep removes it once the queue goes quiet, so a drained queue keeps no disk.
        if (s != current && s.fullySettled()) {
            deleteSegment(s);
            return;
        }
        if (durable && persistent) {
            pendingAcks.addLast(position);
            if (pendingAcks.size() >= ACK_FLUSH_THRESHOLD) {
                flushAcks();
            } else {
                commit.enlistLazily(this);
            }
        }
    }

    private void flushAcks() {
        if (pendingAcks.isEmpty()) {
            return;
        }
        ByteBuffer batch = ByteBuffer.allocate(4 * pendingAcks.size());
        long segment = -1;
        while (!pendingAcks.isEmpty()) {
            long p = pendingAcks.pollFirst();
            if (Position.segment(p) != segment && batch.position() > 0) {
                writeAcks(segment, batch);
            }
            segment = Position.segment(p);
            batch.putInt((int) Position.offset(p));
        }
        writeAcks(segment, batch);
    }

    private void writeAcks(long segment, ByteBuffer batch) {
        batch.flip();
        Segment s = segments.get(segment);
        if (s != null) {
            try {
                s.appendAcks(batch);
            } catch (IOException e) {
                log.error("queue store {}: cannot record acks in segment {}", dir.getFileName(), segment, e);
            }
        }
        batch.clear();
    }

    private void deleteSegment(Segment s) {
        segments.remove(s.id, s);
        unsynced.remove(s);
        try {
            s.delete();
        } catch (IOException e) {
            log.warn("queue store {}: cannot delete settled segment {}", dir.getFileName(), s.id, e);
        }
    }

    // ---- group commit ----

    /**
     * First half of a group commit, on the committing thread: writes buffered records and acks
     * to the files under the queue lock; returns the segments to fsync, or an empty list.
     */
    @Override
    List<Segment> flushForCommit() {
        synchronized (lock) {
            enlisted.set(false);
            if (closed) {
                return List.of();
            }
            flushBuffer();
            flushAcks();
            if (!needsSync) {
                return List.of();
            }
            needsSync = false;
            List<Segment> toSync = new ArrayList<>(unsynced);
            unsynced.clear();
            return toSync;
        }
    }

    /**
     * On the commit thread, about once a second: a store not used since the last sweep writes
     * out what it buffers and gives back its buffers, so idle queues cost no memory.
     */
    void releaseIfIdle() {
        synchronized (lock) {
            if (active || closed) {
                active = false;
                return;
            }
            if (current != null && current.fullySettled()) {
                // Everything written, buffered or not, is settled: drop the file altogether.
                if (writeBuffer != null) {
                    writeBuffer.clear();
                }
                deleteSegment(current);
                current = null;
            }
            flushBuffer();
            release();
            readAhead.release();
        }
    }

    /** On the commit thread: writes recorded acks to their files (no fsync). */
    void flushAcksLazily() {
        synchronized (lock) {
            lazilyEnlisted.set(false);
            if (!closed) {
                flushAcks();
            }
        }
    }

    // ---- lifecycle ----

    /** Bytes of segment files on disk, for reports. */
    public long diskBytes() {
        long total = 0;
        for (Segment s : segments.values()) {
            total += s.bytesOnDisk();
        }
        return total;
    }

    /**
     * Closes after a clean shutdown: flushes, fsyncs, and leaves a mark saying which positions
     * had been delivered so recovery flags exactly those as redelivered. The caller holds the lock.
     */
    public void close(long deliveredBelow) {
        if (closed) {
            return;
        }
        flushBuffer();
        flushAcks();
        closed = true;
        commit.unregister(this);
        for (Segment s : segments.values()) {
            try {
                s.force();
            } catch (IOException e) {
                log.warn("queue store {}: fsync at close failed", dir.getFileName(), e);
            }
            s.close();
        }
        release();
        if (durable) {
            try {
                Files.writeString(dir.resolve(CLEAN_FILE), Long.toString(deliveredBelow));
            } catch (IOException e) {
                log.warn("queue store {}: cannot write the clean-shutdown mark", dir.getFileName(), e);
            }
        }
    }

    /** Deletes the store and its files (the queue was deleted). The caller holds the lock. */
    public void delete() {
        closed = true;
        commit.unregister(this);
        for (Segment s : segments.values()) {
            s.close();
        }
        segments.clear();
        unsynced.clear();
        pendingAcks.clear();
        release();
        try {
            deleteDirectory(dir);
        } catch (IOException e) {
            log.warn("cannot delete queue store {}", dir, e);
        }
    }

    private void release() {
        if (writeBuffer != null) {
            writeBuffer.release();
            writeBuffer = null;
        }
    }

    static void deleteDirectory(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(dir)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }

    @Override
    public String toString() {
        return "queue store " + dir.getFileName();
    }
}
