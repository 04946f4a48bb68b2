package io.spool.broker.store;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * The data directory: where each queue's store lives, the definitions file, and the group
 * commit they share. Durable queues keep their stores under {@code queues/}; the stores of
 * non-durable queues live under {@code transient/}, which is emptied at every start. A lock
 * file keeps two brokers out of one directory. Thread-safe.
 *
 * <pre>
 *   data/
 *     .lock
 *     definitions.json
 *     queues/&lt;id&gt;/0000000001.msgs, 0000000001.acks, 0000000001.dlvs, ...
 *     transient/&lt;id&gt;/...
 *     delayed/&lt;vhost id&gt;/level0..level3/...   the schedule of delayed messages ({@link ScheduleStore})
 * </pre>
 */
public final class Storage implements AutoCloseable {

    private final Path dataDir;
    private final long segmentSize;
    private final GroupCommit commit = new GroupCommit();
    private final DefinitionsFile definitions;
    private final FileChannel lockChannel;
    private final FileLock lock;

    public Storage(Path dataDir, long segmentSize) throws IOException {
        this.dataDir = dataDir;
        this.segmentSize = segmentSize;
        Files.createDirectories(dataDir);
        lockChannel = FileChannel.open(dataDir.resolve(".lock"), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
        FileLock l;
        try {
            l = lockChannel.tryLock();
        } catch (IOException e) {
            l = null;
        }
        if (l == null) {
            lockChannel.close();
            commit.close();
            throw new IOException("data directory " + dataDir.toAbsolutePath() + " is in use by another Spool broker");
        }
        lock = l;
        QueueStore.deleteDirectory(dataDir.resolve("transient"));
        Files.createDirectories(dataDir.resolve("queues"));
        Files.createDirectories(dataDir.resolve("transient"));
        definitions = new DefinitionsFile(dataDir);
    }

    public Path dataDir() {
        return dataDir;
    }

    public GroupCommit commit() {
        return commit;
    }

    public DefinitionsFile definitions() {
        return definitions;
    }

    /** A fresh store for a new queue. {@code lock} is the queue's lock. */
    public QueueStore create(String vhost, String queue, boolean durable, Object lock) {
        return QueueStore.create(dirFor(vhost, queue, durable), durable, commit, lock, segmentSize);
    }

    /** The store of a durable queue found in the definitions, with its messages. */
    public QueueStore.Recovery recover(String vhost, String queue, Object lock) throws IOException {
        return QueueStore.recover(dirFor(vhost, queue, true), commit, lock, segmentSize);
    }

    /**
     * Opens a virtual host's schedule of delayed messages, recovering what it holds.
     * {@code wake} wakes its scheduler thread (see {@link ScheduleStore#open}).
     */
    public ScheduleStore openSchedule(String vhost, Runnable wake, long now) throws IOException {
        return ScheduleStore.open(dataDir.resolve("delayed").resolve(id(vhost, "")), commit, wake, now);
    }

    /**
     * Opens the deduplication log of a durable exchange that keeps its keys on disk, with the
     * records it holds (see {@link DeduplicationLog}); {@code fresh}: empty, whatever an
     * earlier exchange of the name left.
     */
    public DeduplicationLog openDeduplicationLog(String vhost, String exchange, boolean fresh) throws IOException {
        Path dir = deduplicationDirFor(vhost, exchange);
        if (fresh) {
            QueueStore.deleteDirectory(dir);
        }
        return DeduplicationLog.open(dir, commit);
    }

    /** The directory of an exchange's deduplication log. */
    public Path deduplicationDirFor(String vhost, String exchange) {
        return dataDir.resolve("dedup").resolve(id(vhost, exchange));
    }

    /** Deletes store directories no durable queue owns (left by a queue deleted in a crash). */
    public int deleteUnowned(java.util.Set<Path> owned) throws IOException {
        return deleteUnowned(dataDir.resolve("queues"), owned);
    }

    /** Deletes deduplication logs no exchange owns (left by an exchange deleted in a crash). */
    public int deleteUnownedDeduplicationLogs(java.util.Set<Path> owned) throws IOException {
        Path parent = dataDir.resolve("dedup");
        return Files.isDirectory(parent) ? deleteUnowned(parent, owned) : 0;
    }

    private static int deleteUnowned(Path parent, java.util.Set<Path> owned) throws IOException {
        int n = 0;
        try (var dirs = Files.list(parent)) {
            for (Path d : dirs.toList()) {
                if (!owned.contains(d)) {
                    QueueStore.deleteDirectory(d);
                    n++;
                }
            }
        }
        return n;
    }

    /** The directory of a queue's store: a hash of its name, since names may hold any character. */
    public Path dirFor(String vhost, String queue, boolean durable) {
        return dataDir.resolve(durable ? "queues" : "transient").resolve(id(vhost, queue));
    }

    private static String id(String vhost, String name) {
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            sha.update(vhost.getBytes(StandardCharsets.UTF_8));
            sha.update((byte) 0);
            sha.update(name.getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(sha.digest(), 0, 16);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every JDK", e);
        }
    }

    /** Makes a directory's entries durable; where a file system cannot, renames are still atomic. */
    static void fsyncDirectory(Path dir) {
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        } catch (IOException e) {
            // Some file systems cannot fsync a directory.
        }
    }

    /** Usable bytes on the data directory's file system. */
    public long usableSpace() throws IOException {
        return Files.getFileStore(dataDir).getUsableSpace();
    }

    @Override
    public void close() {
        commit.close();
        try {
            lock.release();
            lockChannel.close();
        } catch (IOException ignored) {
            // the lock goes with the process anyway
        }
    }
}
