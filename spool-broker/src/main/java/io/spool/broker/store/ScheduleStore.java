package io.spool.broker.store;

import io.netty.buffer.ByteBuf;
import io.spool.broker.model.Message;
import io.spool.broker.util.LongDeque;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.ReentrantLock;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The schedule of delayed messages, on disk: a hierarchical timing wheel whose slots are
 * append-only files, so that memory holds only the messages due in the next few seconds
 * however many are scheduled.
 *
 * <p><b>Levels.</b> A message is written to a file by its due time, in one of four levels of
 * time slices: 1 s, 64 s, about 68 min and about 3 days wide. Each level covers the times from
 * its boundary up to the next level's: near due times go to fine slices, far ones to coarse.
 * Shortly before a coarse slice begins it is <em>cascaded</em>: read front to back and each of
 * its records copied into the finer slice of its due time; once the copies are on disk the
 * coarse file is deleted. A message is thus copied at most three times, and there are never
 * more than about seventy files per level. Shortly before a 1 s slice begins it is
 * <em>loaded</em>: the due time and file position of each record (sixteen bytes) go into a
 * min-heap, and the record itself is read back only when it is due. At most
 * {@link #LOADED_LIMIT} entries are held; beyond that a slice is loaded as the heap drains.
 *
 * <p><b>Records and recovery.</b> Each file is a {@link Segment} of {@link ScheduledRecord}s,
 * CRC-checked like queue segments, with an ack file of the offsets settled (delivered, or
 * copied to a finer slice). A slice whose records are all settled, and that can take no more,
 * is deleted. At start every file is scanned, damaged records skipped and torn tails cut, as
 * queue stores are; records are recovered whether or not the message was persistent, as the
 * RabbitMQ plugin keeps them. Coarse slices whose time has come are cascaded, overdue ones are
 * loaded and delivered at once.
 *
 * <p><b>Durability.</b> Appends are buffered and written by the {@link GroupCommit}; appending
 * a persistent message returns the generation after which it is fsynced, as queue appends do,
 * so its publisher is confirmed only then. A settle waits for the generation of the deliveries
 * it stands for (the enqueue of a fired message, or the copy of a cascaded one) before it is
 * written to the ack file: a crash may deliver a message twice, never lose it.
 *
 * <p><b>Time</b> is milliseconds since the epoch, passed in by the caller, so tests can drive
 * it. Due times live on disk, so the wall clock is the one that matters across restarts.
 *
 * <p>Threads: the store's state is guarded by its lock, taken briefly by every method but
 * those of the delivery path: {@link #takeDue}, {@link #read}, {@link #settle} and
 * {@link #retryAt} work on the {@link DueQueue} under its own lock (and positional reads of
 * files that cannot be deleted while they hold unsettled records), so a due message is never
 * delivered late because a write, a file creation or an fsync holds the store; the
 * scheduler's {@link #maintain} and {@link #planWake} skip the store while it is busy.
 * {@link #schedule} runs on any thread, including one holding a queue lock. This store never
 * calls out while holding its lock, except the waker, which must only unpark a thread.
 */
public final class ScheduleStore extends CommitParticipant {

    private static final Logger log = LoggerFactory.getLogger(ScheduleStore.class);

    static final int LEVELS = 4;
    /** Slice widths per level, in milliseconds: 1 s, then each 64 times the one before. */
    static final long[] WIDTH = {1_000L, 64_000L, 4_096_000L, 262_144_000L};
    /** A level-0 slice is loaded into the due heap this long before it starts. */
    static final long LOAD_AHEAD = 2_000L;
    /**
     * A slice of level L is cascaded this long before it starts: earlier than the finer slices
     * receiving its records are themselves processed, with time to spare for the copying.
     */
    static final long[] CASCADE_AHEAD = {0, LOAD_AHEAD + 10_000L, LOAD_AHEAD + 10_000L + WIDTH[1],
            LOAD_AHEAD + 10_000L + WIDTH[1] + WIDTH[2]};
    /** Most entries the due heap takes from files; sixteen bytes each. */
    static final int LOADED_LIMIT = 262_144;
    /** A slice starts a new part file when one reaches this size. */
    static final long PART_LIMIT = 256L * 1024 * 1024;
    /** Part numbers are the low digits of a file's id: id = slice index * PARTS_PER_SLICE + part. */
    static final int PARTS_PER_SLICE = 1000;
    /** Records loaded or cascaded per {@link #maintain} call, so one call holds the lock briefly. */
    private static final int CHUNK = 4096;
    private static final int FLUSH_THRESHOLD = 64 * 1024;
    private static final long ACK_WRITE_MILLIS = 20;
    /** With the store busy, the scheduler looks again this soon for house-keeping. */
    static final long BUSY_RETRY_MILLIS = 10;

    /** A due record taken from the heap, to be read outside the lock. */
    public static final class Due {
        final Segment segment;
        final long locator;

        Due(Segment segment, long locator) {
            this.segment = segment;
            this.locator = locator;
        }
    }

    /** What recovery found, for the start-up log. */
    public record Recovery(long scheduled, long settled, int files, int damaged, long cutBytes, long millis) {}

    private final Path dir;
    private final GroupCommit commit;
    private final Runnable wake;
    private final long partLimit;
    /** Per level, the slices still taking records (level 0: until deleted), by index. */
    @SuppressWarnings("unchecked")
    private final TreeMap<Long, ScheduleSlice>[] slices = new TreeMap[LEVELS];
    /** Coarse slices being cascaded, in the order they closed. */
    private final ArrayDeque<ScheduleSlice> cascades = new ArrayDeque<>();
    /** Every part file, by handle; read without the lock by the scheduler thread (see {@link #takeDue}). */
    private final ConcurrentHashMap<Integer, SlicePart> parts = new ConcurrentHashMap<>();
    private int nextHandle = 1;
    /** Per level from 1: the start of its first slice not yet cascaded; due times below go finer. */
    private final long[] boundary = new long[LEVELS];
    /** Level-0 slices with a lower index are loaded into the due heap. */
    private long loadBelow;
    /** Level-0 slices with a lower index take no more records (later ones clamp to this one). */
    private long closedBelow;
    /** The entries about to fall due, and delivered ones to settle: the scheduler's, under their own lock. */
    private final DueQueue soon = new DueQueue();
    /** Guards everything else here; a ReentrantLock so the scheduler thread can skip it when busy. */
    private final ReentrantLock lock = new ReentrantLock();
    private final List<SlicePart> unflushed = new ArrayList<>();
    private final List<SlicePart> unsynced = new ArrayList<>();
    private final List<SlicePart> withAcks = new ArrayList<>();
    private long lastAckWrite;
    private boolean needsSync;
    /** Settles waiting for the generation in the parallel deque to be durable. */
    private final LongDeque settling = new LongDeque();
    private final LongDeque settlingGenerations = new LongDeque();
    private final AtomicBoolean awaitingCommit = new AtomicBoolean();
    /** Scheduled (not yet delivered) messages per target: "x:" + exchange or "q:" + queue. */
    private final Map<String, long[]> counts = new HashMap<>();
    private long total;
    private final SegmentScanner scanner = new SegmentScanner();
    /** Locators {@link #takeDue} took; the scheduler thread's only. */
    private final LongDeque taken = new LongDeque();
    private boolean closed;
    private Recovery recovery;

    private ScheduleStore(Path dir, GroupCommit commit, Runnable wake, long now, long partLimit) {
        this.dir = dir;
        this.commit = commit;
        this.wake = wake;
        this.partLimit = partLimit;
        for (int level = 0; level < LEVELS; level++) {
            slices[level] = new TreeMap<>();
            if (level > 0) {
                boundary[level] = (Math.floorDiv(now + CASCADE_AHEAD[level], WIDTH[level]) + 1) * WIDTH[level];
            }
        }
        loadBelow = Math.floorDiv(now + LOAD_AHEAD, WIDTH[0]) + 1;
        closedBelow = Math.floorDiv(now, WIDTH[0]);
    }

    /**
     * Opens the schedule in a directory, recovering what is there. {@code wake} is run (under
     * the store lock) when a message is scheduled earlier than the scheduler planned to look.
     */
    public static ScheduleStore open(Path dir, GroupCommit commit, Runnable wake, long now) throws IOException {
        return open(dir, commit, wake, now, PART_LIMIT);
    }

    /** As {@link #open(Path, GroupCommit, Runnable, long)}, with smaller part files (for tests). */
    static ScheduleStore open(Path dir, GroupCommit commit, Runnable wake, long now, long partLimit)
            throws IOException {
        ScheduleStore store = new ScheduleStore(dir, commit, wake, now, partLimit);
        store.recover();
        return store;
    }

    public Recovery recovery() {
        return recovery;
    }

    // ---- recovery ----

    private void recover() throws IOException {
        long started = System.nanoTime();
        long live = 0;
        long settledTotal = 0;
        int files = 0;
        int damaged = 0;
        long cut = 0;
        for (int level = 0; level < LEVELS; level++) {
            Path levelDir = levelDir(level);
            Files.createDirectories(levelDir);
            long[] ids;
            try (Stream<Path> list = Files.list(levelDir)) {
                ids = list.map(p -> p.getFileName().toString())
                        .filter(n -> n.endsWith(".msgs"))
                        .mapToLong(n -> Long.parseLong(n.substring(0, n.length() - 5)))
                        .sorted().toArray();
            }
            for (long id : ids) {
                Segment s = Segment.open(levelDir, id);
                files++;
                long[] acked = QueueStore.readAcks(s.ackPath);
                int[] cursor = {0};
                long[] found = {0, 0};
                SegmentScanner.Result r = scanner.scan(s.data(), 0, (offset, length) -> {
                    s.records++;
                    while (cursor[0] < acked.length && acked[cursor[0]] < offset) {
                        cursor[0]++;
                    }
                    if (cursor[0] < acked.length && acked[cursor[0]] == offset) {
                        s.settled++;
                        found[1]++;
                    } else {
                        countRecovered(offset);
                        found[0]++;
                    }
                });
                live += found[0];
                settledTotal += found[1];
                damaged += r.damaged();
                if (r.cutBytes() > 0) {
                    log.warn("schedule {}: cutting {} bytes of torn or damaged tail from file {} at offset {}",
                            levelDir.getFileName(), r.cutBytes(), id, r.goodEnd());
                    cut += r.cutBytes();
                }
                if (r.tail() > 0) {
                    s.truncate(r.goodEnd());
                }
                long index = id / PARTS_PER_SLICE;
                ScheduleSlice slice = slices[level].get(index);
                if (slice == null) {
                    slice = new ScheduleSlice(level, index);
                    slices[level].put(index, slice);
                }
                SlicePart part = new SlicePart(slice, s, nextHandle++, (int) (id % PARTS_PER_SLICE), acked);
                parts.put(part.handle, part);
                slice.parts.add(part);
            }
        }
        for (int level = LEVELS - 1; level >= 0; level--) {
            for (ScheduleSlice slice : List.copyOf(slices[level].values())) {
                if (slice.fullySettled()) {
                    deleteSlice(slice);
                } else if (level > 0 && slice.index * WIDTH[level] < boundary[level]) {
                    // Its time came while the broker was down.
                    slices[level].remove(slice.index);
                    beginCascade(slice);
                } else if (level == 0 && slice.index < loadBelow) {
                    slice.reading = true;
                }
            }
        }
        recovery = new Recovery(live, settledTotal, files, damaged, cut,
                TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started));
    }

    /** Counts a recovered record by its target, read through the scanner's window. */
    private void countRecovered(long offset) {
        try {
            ByteBuffer head = scanner.bytesAt(offset + MessageRecord.HEADER, ScheduledRecord.TARGET_OFFSET + 1);
            int at = head.position();
            boolean toQueue = (head.get(at) & ScheduledRecord.FLAG_TO_QUEUE) != 0;
            int n = head.get(at + ScheduledRecord.TARGET_OFFSET) & 0xFF;
            ByteBuffer name = scanner.bytesAt(offset + MessageRecord.HEADER + ScheduledRecord.TARGET_OFFSET + 1, n);
            count(toQueue, StandardCharsets.UTF_8.decode(name).toString(), 1);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private Path levelDir(int level) {
        return dir.resolve("level" + level);
    }

    // ---- scheduling ----

    /**
     * Schedules a message: to be routed through an exchange, or enqueued into a queue, when
     * due. Returns the group-commit generation after which the record is on disk if the
     * message is persistent, else 0.
     *
     * @throws UncheckedIOException when the disk refuses the write
     */
    public long schedule(long due, boolean toQueue, String target, Message m) {
        lock.lock();
        try {
            return scheduleLocked(due, toQueue, target, m);
        } finally {
            lock.unlock();
        }
    }

    private long scheduleLocked(long due, boolean toQueue, String target, Message m) {
        if (closed) {
            throw new UncheckedIOException(new IOException("the schedule is closed"));
        }
        byte[] name = target.getBytes(StandardCharsets.UTF_8);
        int size = ScheduledRecord.size(name, m);
        ScheduleSlice slice = sliceFor(due);
        SlicePart part = partFor(slice, size);
        long offset = part.end();
        boolean caughtUp = slice.caughtUp();
        ScheduledRecord.write(part.buffer(size), due, toQueue, name, m);
        appended(slice, part, offset, size, due, caughtUp);
        count(toQueue, target, 1);
        boolean persistent = m.properties().persistent();
        needsSync |= persistent;
        // Enlist before taking the generation (see GroupCommit). Transient records are written
        // out by the next commit too, without an fsync, so a crash of the process alone keeps them.
        commit.enlist(this);
        return persistent ? commit.nextGeneration() : 0;
    }

    /** The level whose range holds a due time. */
    private int levelFor(long due) {
        for (int level = LEVELS - 1; level >= 1; level--) {
            if (due >= boundary[level]) {
                return level;
            }
        }
        return 0;
    }

    private ScheduleSlice sliceFor(long due) {
        int level = levelFor(due);
        long index = Math.floorDiv(due, WIDTH[level]);
        if (level == 0 && index < closedBelow) {
            // Overdue: into the oldest slice still open, which is loaded and delivered first.
            index = closedBelow;
        }
        ScheduleSlice slice = slices[level].get(index);
        if (slice == null) {
            slice = new ScheduleSlice(level, index);
            slice.reading = level == 0 && index < loadBelow;
            slices[level].put(index, slice);
            if (level == 0 && !slice.reading && soon.wakeNeeded(index * WIDTH[0] - LOAD_AHEAD)) {
                // The scheduler planned its sleep without this slice: it must load it in time.
                wake.run();
            }
        }
        return slice;
    }

    private SlicePart partFor(ScheduleSlice slice, int size) {
        if (!slice.parts.isEmpty()) {
            SlicePart last = slice.last();
            if (last.segment.records == 0 || last.end() + size <= partLimit) {
                return last;
            }
        }
        int number = slice.parts.isEmpty() ? 0 : slice.last().number + 1;
        Path levelDir = levelDir(slice.level);
        // A file of this slice may linger from a cascade cut short by a restart with a clock set back.
        while (number < PARTS_PER_SLICE && Files.exists(Segment.dataPath(levelDir, id(slice, number)))) {
            number++;
        }
        if (number >= PARTS_PER_SLICE) {
            throw new UncheckedIOException(new IOException(slice + " has no part numbers left"));
        }
        Segment segment;
        try {
            segment = Segment.create(levelDir, id(slice, number), true);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create a schedule file in " + levelDir, e);
        }
        boolean caughtUp = slice.reading && slice.caughtUp();
        SlicePart part = new SlicePart(slice, segment, nextHandle++, number, null);
        parts.put(part.handle, part);
        slice.parts.add(part);
        if (caughtUp) {
            slice.readPart = slice.parts.size() - 1;
            slice.readOffset = 0;
        }
        return part;
    }

    private static long id(ScheduleSlice slice, int number) {
        return slice.index * PARTS_PER_SLICE + number;
    }

    /** Book-keeping after a record went into a part's buffer. */
    private void appended(ScheduleSlice slice, SlicePart part, long offset, int size, long due, boolean caughtUp) {
        part.segment.records++;
        if (part.writeBuffer.readableBytes() >= FLUSH_THRESHOLD) {
            flush(part);
        } else if (!part.listedUnflushed) {
            part.listedUnflushed = true;
            unflushed.add(part);
        }
        if (slice.level == 0 && slice.reading && caughtUp && soon.size() < LOADED_LIMIT) {
            boolean wakeNow = soon.add(due, SlicePart.locator(part.handle, offset));
            slice.readPart = slice.parts.size() - 1;
            slice.readOffset = offset + size;
            if (wakeNow) {
                wake.run();
            }
        }
    }

    private void count(boolean toQueue, String target, long delta) {
        String key = (toQueue ? "q:" : "x:") + target;
        long[] n = counts.get(key);
        if (n == null) {
            n = new long[1];
            counts.put(key, n);
        }
        n[0] += delta;
        total += delta;
        if (n[0] <= 0) {
            counts.remove(key);
        }
    }

    // ---- the scheduler thread's side ----

    /**
     * House-keeping for the scheduler thread, a bounded amount per call: moves the level
     * boundaries on, cascades coarse slices whose time has come, loads level-0 slices about
     * to begin, writes settles that are now safe and deletes finished files. Skipped, and
     * false returned, when the store is busy (a write or a file creation holds it): the
     * scheduler delivers what is due meanwhile and tries again shortly.
     */
    public boolean maintain(long now) {
        if (!lock.tryLock()) {
            return false;
        }
        try {
            maintainLocked(now);
            return true;
        } finally {
            lock.unlock();
        }
    }

    private void maintainLocked(long now) {
        if (closed) {
            return;
        }
        soon.awake();
        applySettles();
        closedBelow = Math.max(closedBelow, Math.floorDiv(now, WIDTH[0]));
        for (int level = LEVELS - 1; level >= 1; level--) {
            while (boundary[level] <= now + CASCADE_AHEAD[level]) {
                ScheduleSlice slice = slices[level].remove(boundary[level] / WIDTH[level]);
                if (slice != null) {
                    beginCascade(slice);
                }
                boundary[level] += WIDTH[level];
            }
        }
        long loadUpTo = Math.floorDiv(now + LOAD_AHEAD, WIDTH[0]) + 1;
        if (loadUpTo > loadBelow) {
            for (ScheduleSlice slice : slices[0].subMap(loadBelow, loadUpTo).values()) {
                slice.reading = true;
            }
            loadBelow = loadUpTo;
        }
        int budget = cascadeSome(CHUNK);
        loadSome(budget);
        settleDurable();
        if (!withAcks.isEmpty() && now - lastAckWrite >= ACK_WRITE_MILLIS) {
            writeAcks();
            lastAckWrite = now;
        }
        deletePastSlices();
    }

    /**
     * Takes up to {@code max} records due at {@code now}, earliest first, into {@code out};
     * read each with {@link #read}. Returns how many. Needs the store's lock only for a record
     * still in its write buffer (scheduled within the last few milliseconds).
     */
    public int takeDue(long now, int max, List<Due> out) {
        taken.clear();
        int n = soon.take(now, max, taken);
        for (int i = 0; i < n; i++) {
            long locator = taken.get(i);
            // Present: a part is deleted only once all its records are settled.
            SlicePart part = parts.get(SlicePart.handle(locator));
            if (SlicePart.offset(locator) >= part.segment.fileSize()) {
                lock.lock();
                try {
                    flush(part);
                } finally {
                    lock.unlock();
                }
            }
            out.add(new Due(part.segment, locator));
        }
        return n;
    }

    /**
     * Reads a due record back. Any thread, without the lock. Null if the record fails its
     * checks (the disk damaged it); settle it with {@link #dropUnreadable}.
     */
    public ScheduledMessage read(Due due) {
        long offset = SlicePart.offset(due.locator);
        try {
            ByteBuffer header = ByteBuffer.allocate(MessageRecord.HEADER);
            if (!due.segment.read(offset, header)) {
                return null;
            }
            int length = header.getInt(4);
            if (header.getInt(0) != MessageRecord.MAGIC || length < 0 || length > MessageRecord.MAX_PAYLOAD) {
                return null;
            }
            ByteBuffer record = ByteBuffer.allocate(MessageRecord.HEADER + length);
            if (!due.segment.read(offset, record)) {
                return null;
            }
            return ScheduledRecord.read(record.flip(), due.locator);
        } catch (IOException e) {
            log.error("schedule: cannot read a due record in {}", due.segment.dataPath, e);
            return null;
        }
    }

    /**
     * Records that a due message was delivered (or dropped: its target is gone). The settle
     * reaches the ack file once {@code generation} is durable: the generation the message's
     * enqueues wait for, 0 if none. Noted without the store's lock; applied by the next
     * {@link #maintain} or {@link #planWake}.
     */
    public void settle(ScheduledMessage m, long generation) {
        soon.delivered(m, generation);
    }

    /** Gives up on a due record that cannot be read; the loss is logged. */
    public void dropUnreadable(Due d) {
        log.error("schedule: the record at {}:{} fails its checks; the delayed message is lost",
                d.segment.dataPath, SlicePart.offset(d.locator));
        soon.unreadable(d.locator);
    }

    /** Puts a due message back for another try at {@code at} (its queue refused it). */
    public void retryAt(ScheduledMessage m, long at) {
        soon.add(at, m.locator);
    }

    /** Applies the settles noted since the last time. Under the lock. */
    private void applySettles() {
        DueQueue.Settles s = soon.drainSettles();
        for (int i = 0; i < s.delivered().size(); i++) {
            ScheduledMessage m = s.delivered().get(i);
            count(m.toQueue(), m.target(), -1);
            settleWhenDurable(m.locator, s.generations().get(i));
        }
        for (int i = 0; i < s.unreadable().size(); i++) {
            settleWhenDurable(s.unreadable().get(i), 0);
        }
    }

    /**
     * When the scheduler thread should next look (milliseconds since the epoch; at or before
     * {@code now} if there is work now). From here on a message scheduled earlier wakes it.
     * When the store is busy, the next due message or {@link #BUSY_RETRY_MILLIS}, whichever
     * comes first.
     */
    public long planWake(long now) {
        if (!lock.tryLock()) {
            return soon.plan(now + BUSY_RETRY_MILLIS, false);
        }
        try {
            return planWakeLocked(now);
        } finally {
            lock.unlock();
        }
    }

    private long planWakeLocked(long now) {
        long next = Long.MAX_VALUE;
        if (closed) {
            return next;
        }
        applySettles();
        if (!cascades.isEmpty() || loadPending()) {
            next = now;
        }
        Long nextToLoad = slices[0].ceilingKey(loadBelow);
        if (nextToLoad != null) {
            // Seconds without messages pass without a wake-up; a slice created later wakes it.
            next = Math.min(next, nextToLoad * WIDTH[0] - LOAD_AHEAD);
        }
        for (int level = 1; level < LEVELS; level++) {
            next = Math.min(next, boundary[level] - CASCADE_AHEAD[level]);
        }
        if (slices[0].containsKey(closedBelow)) {
            // The current second's slice can be deleted once the second is over (earlier ones
            // go as their last record is settled).
            next = Math.min(next, (closedBelow + 1) * WIDTH[0]);
        }
        if (!withAcks.isEmpty()) {
            next = Math.min(next, lastAckWrite + ACK_WRITE_MILLIS);
        }
        if (!settling.isEmpty()) {
            if (awaitingCommit.compareAndSet(false, true)) {
                commit.afterNextCommit(() -> {
                    awaitingCommit.set(false);
                    wake.run();
                });
            }
            // Registered first, then checked: a commit in between is not missed.
            if (settlingGenerations.peekFirst() <= commit.durableGeneration()) {
                next = now;
            }
        }
        // Under the store's lock, so a slice created meanwhile sees the plan (see sliceFor).
        return soon.plan(next, true);
    }

    private boolean loadPending() {
        if (soon.size() >= LOADED_LIMIT) {
            return false;
        }
        for (ScheduleSlice slice : slices[0].headMap(loadBelow).values()) {
            if (slice.reading && !slice.caughtUp()) {
                return true;
            }
        }
        return false;
    }

    // ---- cascading and loading ----

    private void beginCascade(ScheduleSlice slice) {
        slice.reading = true;
        slice.readPart = 0;
        slice.readOffset = 0;
        cascades.addLast(slice);
    }

    /** Copies up to {@code budget} records of closed coarse slices into finer ones; returns the budget left. */
    private int cascadeSome(int budget) {
        List<Long> copied = new ArrayList<>();
        while (budget > 0 && !cascades.isEmpty()) {
            ScheduleSlice slice = cascades.peekFirst();
            budget -= readSome(slice, budget, (part, offset, length) -> {
                copy(part, offset, length);
                copied.add(SlicePart.locator(part.handle, offset));
                return false;
            });
            if (slice.caughtUp()) {
                cascades.pollFirst();
                if (slice.fullySettled()) {
                    deleteSlice(slice);
                }
            }
        }
        if (!copied.isEmpty()) {
            // One generation covers every copy made: the originals are settled once it is durable.
            needsSync = true;
            commit.enlist(this);
            long generation = commit.nextGeneration();
            for (long locator : copied) {
                settleWhenDurable(locator, generation);
            }
        }
        return budget;
    }

    /** Appends the record at a part's offset (just checked by the scanner) to the slice of its due time. */
    private void copy(SlicePart from, long offset, int length) {
        int size = MessageRecord.HEADER + length;
        ByteBuffer record;
        try {
            record = scanner.bytesAt(offset, size);
            if (record == null) {
                record = ByteBuffer.allocate(size);
                if (!from.segment.read(offset, record)) {
                    throw new IOException("record at " + offset + " of " + from.segment.dataPath + " vanished");
                }
                record.flip();
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        long due = record.getLong(record.position() + MessageRecord.HEADER + ScheduledRecord.DUE_OFFSET);
        ScheduleSlice slice = sliceFor(due);
        SlicePart part = partFor(slice, size);
        long at = part.end();
        boolean caughtUp = slice.caughtUp();
        part.buffer(size).writeBytes(record);
        appended(slice, part, at, size, due, caughtUp);
    }

    /** Loads level-0 slices that are about to begin into the due heap, in order, within a budget. */
    private void loadSome(int budget) {
        for (ScheduleSlice slice : slices[0].headMap(loadBelow).values()) {
            if (budget <= 0 || soon.size() >= LOADED_LIMIT) {
                return;
            }
            if (!slice.reading || slice.caughtUp()) {
                continue;
            }
            budget -= readSome(slice, budget, (part, offset, length) -> {
                ByteBuffer at = scanner.bytesAt(offset + MessageRecord.HEADER + ScheduledRecord.DUE_OFFSET, 8);
                soon.add(at.getLong(at.position()), SlicePart.locator(part.handle, offset));
                return soon.size() >= LOADED_LIMIT;
            });
            if (!slice.caughtUp()) {
                // Later slices wait: their messages are due after every one of this slice's.
                return;
            }
        }
    }

    /** Told about each unsettled record a read visits; returns true to stop after it. */
    private interface RecordSink {
        boolean record(SlicePart part, long offset, int length) throws IOException;
    }

    /** Reads a slice from its cursor, up to {@code budget} records; returns how many it visited. */
    private int readSome(ScheduleSlice slice, int budget, RecordSink sink) {
        int[] visited = {0};
        boolean[] full = {false};
        try {
            while (visited[0] < budget && !full[0] && slice.readPart < slice.parts.size()) {
                SlicePart part = slice.parts.get(slice.readPart);
                flush(part);
                long end = part.segment.fileSize();
                if (slice.readOffset >= end) {
                    if (slice.readPart == slice.parts.size() - 1) {
                        break;
                    }
                    slice.readPart++;
                    slice.readOffset = 0;
                    continue;
                }
                int limit = budget;
                SegmentScanner.Result r = scanner.scan(part.segment.data(), slice.readOffset,
                        (offset, length) -> {
                            if (part.settledBeforeRestart(offset)) {
                                return;
                            }
                            full[0] = sink.record(part, offset, length);
                            if (++visited[0] >= limit || full[0]) {
                                scanner.stop();
                            }
                        });
                // Stopped early: go on from the next record. Otherwise the part is read (any
                // damaged tail was cut at recovery, and files only grow by whole records).
                slice.readOffset = visited[0] >= limit || full[0] ? r.goodEnd() : end;
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + slice, e);
        }
        return visited[0];
    }

    // ---- settling and deleting ----

    private void settleWhenDurable(long locator, long generation) {
        settling.addLast(locator);
        settlingGenerations.addLast(generation);
    }

    private void settleDurable() {
        long durable = commit.durableGeneration();
        while (!settling.isEmpty() && settlingGenerations.peekFirst() <= durable) {
            settlingGenerations.pollFirst();
            settleNow(settling.pollFirst());
        }
    }

    private void settleNow(long locator) {
        SlicePart part = parts.get(SlicePart.handle(locator));
        if (part == null) {
            return;
        }
        part.segment.settled++;
        ScheduleSlice slice = part.slice;
        if (closed(slice) && slice.fullySettled()) {
            deleteSlice(slice);
            return;
        }
        if (part.acksToWrite == null) {
            part.acksToWrite = new LongDeque();
        }
        if (part.acksToWrite.isEmpty()) {
            withAcks.add(part);
        }
        part.acksToWrite.addLast(SlicePart.offset(locator));
    }

    /** A closed slice takes no more records: a past level-0 slice, or a coarse one being cascaded. */
    private boolean closed(ScheduleSlice slice) {
        return slice.level == 0 ? slice.index < closedBelow : slice.reading;
    }

    private void writeAcks() {
        for (SlicePart part : withAcks) {
            LongDeque offsets = part.acksToWrite;
            ByteBuffer batch = ByteBuffer.allocate(4 * offsets.size());
            while (!offsets.isEmpty()) {
                batch.putInt((int) offsets.pollFirst());
            }
            batch.flip();
            try {
                part.segment.appendAcks(batch);
            } catch (IOException e) {
                log.error("schedule: cannot record settles in {}", part.segment.ackPath, e);
            }
        }
        withAcks.clear();
    }

    /** Deletes level-0 slices whose second is over and whose records are all delivered. */
    private void deletePastSlices() {
        List<ScheduleSlice> done = null;
        for (ScheduleSlice slice : slices[0].headMap(closedBelow).values()) {
            if (slice.fullySettled()) {
                if (done == null) {
                    done = new ArrayList<>();
                }
                done.add(slice);
            }
        }
        if (done != null) {
            done.forEach(this::deleteSlice);
        }
    }

    private void deleteSlice(ScheduleSlice slice) {
        slices[slice.level].remove(slice.index, slice);
        cascades.remove(slice);
        for (SlicePart part : slice.parts) {
            parts.remove(part.handle);
            part.releaseBuffer();
            if (part.listedUnflushed) {
                unflushed.remove(part);
            }
            if (part.listedUnsynced) {
                unsynced.remove(part);
            }
            if (part.acksToWrite != null && !part.acksToWrite.isEmpty()) {
                withAcks.remove(part);
            }
            try {
                part.segment.delete();
            } catch (IOException e) {
                log.warn("schedule: cannot delete finished file {}", part.segment.dataPath, e);
            }
        }
    }

    // ---- writing out ----

    private void flush(SlicePart part) {
        ByteBuf buffer = part.writeBuffer;
        if (buffer == null || !buffer.isReadable()) {
            return;
        }
        try {
            part.segment.append(buffer.nioBuffer());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write to " + part.segment.dataPath, e);
        }
        part.releaseBuffer();
        if (!part.listedUnsynced) {
            part.listedUnsynced = true;
            unsynced.add(part);
        }
    }

    @Override
    List<Segment> flushForCommit() {
        lock.lock();
        try {
            enlisted.set(false);
            if (closed) {
                return List.of();
            }
            while (!unflushed.isEmpty()) {
                SlicePart part = unflushed.get(unflushed.size() - 1);
                // On failure the part stays listed, keeps its buffer, and the commit retries.
                flush(part);
                part.listedUnflushed = false;
                unflushed.remove(unflushed.size() - 1);
            }
            if (!needsSync) {
                return List.of();
            }
            needsSync = false;
            List<Segment> toSync = new ArrayList<>(unsynced.size());
            for (SlicePart part : unsynced) {
                part.listedUnsynced = false;
                toSync.add(part.segment);
            }
            unsynced.clear();
            return toSync;
        } finally {
            lock.unlock();
        }
    }

    // ---- reports and lifecycle ----

    /** Messages scheduled and not yet delivered. */
    public long scheduled() {
        lock.lock();
        try {
            return total;
        } finally {
            lock.unlock();
        }
    }

    /** Messages scheduled for an exchange (or, with {@code toQueue}, a queue) and not yet delivered. */
    public long scheduledFor(boolean toQueue, String target) {
        lock.lock();
        try {
            long[] n = counts.get((toQueue ? "q:" : "x:") + target);
            return n == null ? 0 : n[0];
        } finally {
            lock.unlock();
        }
    }

    /** Entries held in memory, for tests and reports: sixteen bytes each. */
    public int loaded() {
        return soon.size();
    }

    /** Files and bytes on disk, for reports. */
    public long diskBytes() {
        lock.lock();
        try {
            long bytes = 0;
            for (SlicePart part : parts.values()) {
                bytes += part.end();
            }
            return bytes;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Closes at shutdown, after the scheduler thread has stopped and the queues have closed:
     * whatever was delivered is in their (flushed and fsynced) stores by now, so every pending
     * settle is written; the rest is flushed and fsynced.
     */
    public void close() {
        lock.lock();
        try {
            if (closed) {
                return;
            }
            applySettles();
            while (!settling.isEmpty()) {
                settlingGenerations.pollFirst();
                settleNow(settling.pollFirst());
            }
            writeAcks();
            for (SlicePart part : List.copyOf(unflushed)) {
                try {
                    flush(part);
                } catch (UncheckedIOException e) {
                    log.warn("schedule: cannot write {} at close", part.segment.dataPath, e);
                }
            }
            closed = true;
            for (SlicePart part : parts.values()) {
                try {
                    part.segment.force();
                } catch (IOException e) {
                    log.warn("schedule: fsync of {} at close failed", part.segment.dataPath, e);
                }
                part.segment.close();
                part.releaseBuffer();
            }
            unflushed.clear();
            unsynced.clear();
            soon.clear();
        } finally {
            lock.unlock();
        }
    }

    @Override
    public String toString() {
        return "schedule " + dir;
    }
}
