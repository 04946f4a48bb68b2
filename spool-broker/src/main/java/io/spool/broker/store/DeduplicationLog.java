package io.spool.broker.store;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.locks.ReentrantLock;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import java.util.zip.CRC32C;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The keys a deduplicating exchange remembers, on disk, for an exchange declared with
 * {@code x-cache-persistence: disk}: a restart or a crash does not let a duplicate through.
 *
 * <p>An append-only log in a directory of its own. Each record says that a key was remembered
 * (until an expiry time) or forgotten; replayed in order, the records rebuild the cache, and a
 * key crowded out for room is crowded out again by the same replay, so evictions need no
 * record. Records are buffered and written by the {@link GroupCommit}, which fsyncs the log
 * with the queues' stores: the exchange records a key before the message is appended to its
 * queues, so the commit that makes the message durable has the log in its list too, and a
 * confirmed publish never loses its key.
 *
 * <p>Once the log holds many more records than the cache holds keys, its owner rewrites it
 * ({@link #rewrite}): the live keys go to a temporary file, which is fsynced and then renamed
 * to the next segment number. So the highest-numbered segment is always a whole snapshot
 * followed by the records appended since, and it alone is read back; a crash at any point of
 * a rewrite leaves either the old segment or the new one as the highest. The owner rewrites at
 * start too, so that what a crash left behind is replaced by a clean copy.
 *
 * <p>A record is {@code [length int][crc32c int][kind byte][expiresAt long][key]}, the key in
 * whatever encoding the owner chose. A torn or damaged record ends the replay of its segment:
 * the records after it cannot be placed in order.
 *
 * <p>Thread-safe: appends come from publishing threads (under the owner's lock), flushes from
 * the commit thread; both take this log's lock, briefly.
 */
public final class DeduplicationLog extends CommitParticipant {

    private static final Logger log = LoggerFactory.getLogger(DeduplicationLog.class);

    /** A key and when it is forgotten (epoch ms; Long.MAX_VALUE for never). */
    public record Entry(byte[] key, long expiresAt) {}

    /** A record read back: a key remembered until {@code expiresAt}, or forgotten. */
    public record Replayed(byte[] key, long expiresAt, boolean forgotten) {}

    private static final byte REMEMBERED = 1;
    private static final byte FORGOTTEN = 2;
    private static final int HEADER = 8;
    private static final int FIXED_BODY = 1 + 8;
    /** Longer than any key a frame can carry; a length past it is damage, not a record. */
    private static final int MAX_RECORD = 64 * 1024 * 1024;
    private static final Pattern SEGMENT = Pattern.compile("(\\d{10})\\.msgs");
    private static final String TEMPORARY = ".tmp";

    private final Path dir;
    private final GroupCommit commit;
    private final ReentrantLock lock = new ReentrantLock();
    private final List<Replayed> replayed;
    /** The segment appended to: the one found at open, then the last rewrite's. */
    private Segment segment;
    private long nextId;
    private ByteBuffer buffer = ByteBuffer.allocate(4096);
    private long records;
    private boolean closed;

    private DeduplicationLog(Path dir, GroupCommit commit, Segment segment, long nextId, List<Replayed> replayed) {
        this.dir = dir;
        this.commit = commit;
        this.segment = segment;
        this.nextId = nextId;
        this.replayed = replayed;
    }

    /**
     * Opens (creating if need be) the log in {@code dir} and reads back what its newest segment
     * holds; older segments and unfinished rewrites are deleted.
     */
    static DeduplicationLog open(Path dir, GroupCommit commit) throws IOException {
        Files.createDirectories(dir);
        long newest = -1;
        List<Path> stale = new ArrayList<>();
        try (Stream<Path> files = Files.list(dir)) {
            for (Path f : files.toList()) {
                Matcher m = SEGMENT.matcher(f.getFileName().toString());
                if (m.matches()) {
                    long id = Long.parseLong(m.group(1));
                    if (id > newest) {
                        if (newest >= 0) {
                            stale.add(Segment.dataPath(dir, newest));
                        }
                        newest = id;
                    } else {
                        stale.add(f);
                    }
                } else if (f.getFileName().toString().endsWith(TEMPORARY)) {
                    stale.add(f);
                }
            }
        }
        for (Path f : stale) {
            Files.deleteIfExists(f);
        }
        List<Replayed> replayed = new ArrayList<>();
        Segment segment = null;
        if (newest >= 0) {
            read(Segment.dataPath(dir, newest), replayed);
            segment = Segment.open(dir, newest);
        }
        return new DeduplicationLog(dir, commit, segment, newest + 1, replayed);
    }

    private static void read(Path file, List<Replayed> out) throws IOException {
        ByteBuffer all;
        try (FileChannel ch = FileChannel.open(file)) {
            long size = ch.size();
            if (size > Integer.MAX_VALUE - 8) {
                throw new IOException(file + " is larger than a deduplication log can be");
            }
            all = ByteBuffer.allocate((int) size);
            while (all.hasRemaining() && ch.read(all, all.position()) >= 0) {
                // read until full
            }
            all.flip();
        }
        CRC32C crc = new CRC32C();
        while (all.remaining() >= HEADER + FIXED_BODY) {
            int start = all.position();
            int length = all.getInt();
            int sum = all.getInt();
            if (length < FIXED_BODY || length > MAX_RECORD || length > all.remaining()) {
                if (!zerosFrom(all, start)) {
                    log.warn("{}: damaged or torn record at offset {}; the {} bytes after it are skipped", file, start,
                            all.limit() - start);
                }
                return;
            }
            crc.reset();
            crc.update(all.slice(all.position(), length));
            if ((int) crc.getValue() != sum) {
                log.warn("{}: damaged record at offset {}; the {} bytes from it are skipped", file, start,
                        all.limit() - start);
                return;
            }
            byte kind = all.get();
            long expiresAt = all.getLong();
            byte[] key = new byte[length - FIXED_BODY];
            all.get(key);
            out.add(new Replayed(key, expiresAt, kind == FORGOTTEN));
        }
    }

    private static boolean zerosFrom(ByteBuffer b, int from) {
        for (int i = from; i < b.limit(); i++) {
            if (b.get(i) != 0) {
                return false;
            }
        }
        return true;
    }

    /** The records found at open, oldest first; empty after the first {@link #rewrite}. */
    public List<Replayed> replayed() {
        lock.lock();
        try {
            return List.copyOf(replayed);
        } finally {
            lock.unlock();
        }
    }

    /** Records written since the last rewrite. */
    public long records() {
        lock.lock();
        try {
            return records;
        } finally {
            lock.unlock();
        }
    }

    /**
     * A group-commit generation taken after every record appended so far: once it is durable,
     * so are they. A publish that remembered or forgot a key waits for it before its confirm.
     */
    public long generation() {
        return commit.nextGeneration();
    }

    /** Records that {@code key} is remembered until {@code expiresAt}. */
    public void remembered(byte[] key, long expiresAt) {
        append(REMEMBERED, key, expiresAt);
    }

    /** Records that {@code key} is forgotten. */
    public void forgotten(byte[] key) {
        append(FORGOTTEN, key, 0);
    }

    private void append(byte kind, byte[] key, long expiresAt) {
        lock.lock();
        try {
            if (closed) {
                return;
            }
            int length = FIXED_BODY + key.length;
            if (buffer.remaining() < HEADER + length) {
                ByteBuffer bigger = ByteBuffer.allocate(Math.max(buffer.capacity() * 2, buffer.position() + HEADER + length));
                buffer.flip();
                bigger.put(buffer);
                buffer = bigger;
            }
            putRecord(buffer, kind, key, expiresAt, new CRC32C());
            records++;
        } finally {
            lock.unlock();
        }
        commit.enlist(this);
    }

    /**
     * Replaces the log with these live keys, oldest first: written to a temporary file, fsynced,
     * and renamed to the next segment, which then takes the appends. The caller must keep
     * appends out until this returns (the owner calls it under the lock it appends under); the
     * records buffered meanwhile are dropped, as the live keys already say what they said. The
     * commit thread is kept waiting only for the swap, not for the writing.
     */
    public void rewrite(List<Entry> live) throws IOException {
        long id;
        lock.lock();
        try {
            if (closed) {
                return;
            }
            id = nextId++;
        } finally {
            lock.unlock();
        }
        Path temporary = dir.resolve(String.format("%010d", id) + TEMPORARY);
        try (FileChannel out = FileChannel.open(temporary, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING,
                StandardOpenOption.WRITE)) {
            ByteBuffer chunk = ByteBuffer.allocate(64 * 1024);
            CRC32C crc = new CRC32C();
            for (Entry e : live) {
                int length = FIXED_BODY + e.key().length;
                if (chunk.remaining() < HEADER + length) {
                    writeFully(out, chunk);
                    if (chunk.capacity() < HEADER + length) {
                        chunk = ByteBuffer.allocate(HEADER + length);
                    }
                }
                putRecord(chunk, REMEMBERED, e.key(), e.expiresAt(), crc);
            }
            writeFully(out, chunk);
            out.force(false);
        } catch (IOException | RuntimeException e) {
            Files.deleteIfExists(temporary);
            throw e;
        }
        Files.move(temporary, Segment.dataPath(dir, id), StandardCopyOption.ATOMIC_MOVE);
        Storage.fsyncDirectory(dir);
        Segment fresh = Segment.open(dir, id);
        lock.lock();
        try {
            Segment old = segment;
            segment = fresh;
            buffer.clear();
            records = live.size();
            replayed.clear();
            if (old != null) {
                // A commit holding it in its fsync list finds it closed: nothing left to force.
                old.delete();
            }
            if (closed) {
                fresh.close();
            }
        } finally {
            lock.unlock();
        }
    }

    /** Puts one record; {@code out} must have room for it. */
    private static void putRecord(ByteBuffer out, byte kind, byte[] key, long expiresAt, CRC32C crc) {
        int length = FIXED_BODY + key.length;
        int start = out.position();
        out.putInt(length).putInt(0).put(kind).putLong(expiresAt).put(key);
        crc.reset();
        crc.update(out.slice(start + HEADER, length));
        out.putInt(start + 4, (int) crc.getValue());
    }

    private static void writeFully(FileChannel out, ByteBuffer chunk) throws IOException {
        chunk.flip();
        while (chunk.hasRemaining()) {
            out.write(chunk);
        }
        chunk.clear();
    }

    @Override
    List<Segment> flushForCommit() {
        lock.lock();
        try {
            enlisted.set(false);
            if (closed || segment == null || buffer.position() == 0) {
                return List.of();
            }
            buffer.flip();
            try {
                segment.append(buffer);
            } catch (IOException e) {
                // Kept whole: the next commit writes it again at the same offset.
                buffer.position(buffer.limit());
                buffer.limit(buffer.capacity());
                throw new UncheckedIOException(e);
            }
            buffer.clear();
            return List.of(segment);
        } finally {
            lock.unlock();
        }
    }

    /** Writes out and fsyncs what is buffered, then closes the log (a clean shutdown). */
    public void close() {
        lock.lock();
        try {
            if (closed) {
                return;
            }
            closed = true;
            if (segment != null) {
                if (buffer.position() > 0) {
                    buffer.flip();
                    segment.append(buffer);
                    buffer.clear();
                }
                segment.force();
                segment.close();
            }
        } catch (IOException e) {
            log.error("cannot write the deduplication log in {}: {}", dir, e.toString());
        } finally {
            lock.unlock();
        }
    }

    /** Closes the log and deletes its files (the exchange was deleted). */
    public void delete() throws IOException {
        lock.lock();
        try {
            closed = true;
            if (segment != null) {
                segment.delete();
            }
            QueueStore.deleteDirectory(dir);
        } finally {
            lock.unlock();
        }
    }

    @Override
    public String toString() {
        return "deduplication log " + dir;
    }
}
