package io.spool.broker.store;

import static org.assertj.core.api.Assertions.assertThat;

import io.spool.broker.model.Message;
import io.spool.broker.model.MessageProperties;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The schedule of delayed messages driven by a simulated clock, the way the scheduler thread
 * drives it, so days pass in milliseconds: messages due days ahead pass down through every
 * level of the timing wheel and come out exactly when due, memory and files stay small, and a
 * restart (clean or not) neither loses nor, once settled, repeats a message.
 */
class ScheduleStoreTest {

    /** A Thursday, 2027-01-14 08:00:00.123 UTC: not aligned to any slice width. */
    private static final long T0 = 1_799_913_600_123L;
    private static final long SECOND = 1_000;
    private static final long DAY = 86_400_000;

    @TempDir
    Path dir;

    private final List<GroupCommit> commits = new ArrayList<>();

    @AfterEach
    void stopCommits() {
        commits.forEach(GroupCommit::close);
    }

    /** A store and the simulated scheduler thread around it. */
    private final class Simulation {
        final GroupCommit commit = new GroupCommit();
        final ScheduleStore store;
        long now;
        /** Body text -> simulated times it was delivered at. */
        final Map<String, List<Long>> delivered = new HashMap<>();
        int maxLoaded;
        int maxFiles;
        /** Times the store woke the (simulated) scheduler thread. */
        int wakes;

        Simulation(long start) throws IOException {
            this(start, ScheduleStore.PART_LIMIT);
        }

        Simulation(long start, long partLimit) throws IOException {
            commits.add(commit);
            now = start;
            store = ScheduleStore.open(dir, commit, () -> wakes++, start, partLimit);
        }

        long schedule(long due, String body) {
            return schedule(due, body, false);
        }

        long schedule(long due, String body, boolean persistent) {
            MessageProperties props = persistent ? new MessageProperties.Builder().deliveryMode(2).build()
                    : MessageProperties.EMPTY;
            return store.schedule(due, false, "delayed", new Message("delayed", "key", props,
                    body.getBytes(StandardCharsets.UTF_8)));
        }

        /** Runs the scheduler's loop, jumping the clock to each time it would wake, up to {@code end}. */
        void runUntil(long end) throws IOException {
            for (int steps = 0; steps < 10_000_000; steps++) {
                store.maintain(now);
                List<ScheduleStore.Due> due = new ArrayList<>();
                store.takeDue(now, 512, due);
                for (ScheduleStore.Due d : due) {
                    ScheduledMessage m = store.read(d);
                    assertThat(m).as("a readable due record").isNotNull();
                    delivered.computeIfAbsent(new String(m.message().body(), StandardCharsets.UTF_8),
                            k -> new ArrayList<>()).add(now);
                    store.settle(m, 0);
                }
                maxLoaded = Math.max(maxLoaded, store.loaded());
                if (steps % 16 == 0) {
                    maxFiles = Math.max(maxFiles, files());
                }
                if (!due.isEmpty()) {
                    continue;
                }
                // Copies made by cascades wait for a commit, as they do in the broker.
                commit.flushNow();
                long next = store.planWake(now);
                if (next > now) {
                    if (next > end) {
                        now = end;
                        store.maintain(now);
                        return;
                    }
                    now = next;
                }
            }
            throw new AssertionError("the schedule never went idle");
        }

        int files() throws IOException {
            try (Stream<Path> walk = Files.walk(dir)) {
                return (int) walk.filter(p -> p.toString().endsWith(".msgs")).count();
            }
        }
    }

    @Test
    void messagesDueDaysAheadCascadeThroughEveryLevelAndComeOutExactlyWhenDue() throws Exception {
        Simulation sim = new Simulation(T0);
        Random random = new Random(7);
        Map<String, Long> dueAt = new HashMap<>();
        for (int i = 0; i < 1_500; i++) {
            long due = T0 + (long) (random.nextDouble() * 12 * DAY);
            dueAt.put("m" + i, due);
            sim.schedule(due, "m" + i);
        }
        // Some on the edges of slices of every level, and some already overdue.
        long[] edges = {ScheduleStore.WIDTH[1], ScheduleStore.WIDTH[2], ScheduleStore.WIDTH[3]};
        for (long width : edges) {
            long edge = (T0 / width + 3) * width;
            for (long d : new long[] {edge - 1, edge, edge + 1}) {
                dueAt.put("edge" + d, d);
                sim.schedule(d, "edge" + d);
            }
        }
        dueAt.put("overdue", T0 - 5 * SECOND);
        sim.schedule(T0 - 5 * SECOND, "overdue");
        assertThat(sim.store.scheduled()).isEqualTo(dueAt.size());
        assertThat(sim.store.loaded()).as("entries in memory right after scheduling").isLessThan(10);

        sim.runUntil(T0 + 13 * DAY);

        assertThat(sim.delivered).hasSameSizeAs(dueAt);
        for (Map.Entry<String, Long> e : dueAt.entrySet()) {
            long expected = Math.max(e.getValue(), T0);
            assertThat(sim.delivered.get(e.getKey())).as(e.getKey()).containsExactly(expected);
        }
        assertThat(sim.store.scheduled()).isZero();
        assertThat(sim.maxLoaded).as("most entries held in memory").isLessThan(100);
        assertThat(sim.maxFiles).as("most schedule files at once").isLessThan(300);
        assertThat(sim.files()).as("files left once everything is delivered").isZero();
    }

    @Test
    void aMessageScheduledWhileTheSchedulerSleepsWakesItInTimeToLoadAndDeliverIt() throws Exception {
        Simulation sim = new Simulation(T0);
        sim.schedule(T0 + DAY, "tomorrow");
        sim.store.maintain(T0);
        long plannedWake = sim.store.planWake(T0);
        assertThat(plannedWake).as("nothing due soon: the scheduler may sleep").isGreaterThan(T0 + 5 * SECOND);

        sim.schedule(T0 + 4 * SECOND, "soon");

        assertThat(sim.wakes).isEqualTo(1);
        assertThat(sim.store.planWake(T0)).isLessThanOrEqualTo(T0 + 4 * SECOND - ScheduleStore.LOAD_AHEAD);
        sim.runUntil(T0 + 10 * SECOND);
        assertThat(sim.delivered.get("soon")).containsExactly(T0 + 4 * SECOND);
    }

    @Test
    void aCleanRestartKeepsWhatIsScheduledAndDeliversOverdueMessagesAtOnce() throws Exception {
        Simulation before = new Simulation(T0);
        for (int i = 0; i < 100; i++) {
            before.schedule(T0 + i * 60 * SECOND, "m" + i, i % 2 == 0);
        }
        before.runUntil(T0 + 30 * 60 * SECOND);
        assertThat(before.delivered).hasSize(31);
        before.store.close();

        // Down for half an hour: the messages due meanwhile come out at once.
        long restart = T0 + 60 * 60 * SECOND;
        Simulation after = new Simulation(restart);
        assertThat(after.store.recovery().scheduled()).isEqualTo(69);
        assertThat(after.store.scheduledFor(false, "delayed")).isEqualTo(69);
        after.runUntil(T0 + 2 * 60 * 60 * SECOND);

        assertThat(after.delivered).hasSize(69).doesNotContainKeys("m0", "m30");
        for (int i = 31; i <= 60; i++) {
            assertThat(after.delivered.get("m" + i)).as("m%d, overdue", i).containsExactly(restart);
        }
        for (int i = 61; i < 100; i++) {
            assertThat(after.delivered.get("m" + i)).as("m%d", i).containsExactly(T0 + i * 60 * SECOND);
        }
        assertThat(after.files()).isZero();
    }

    @Test
    void afterACrashNothingIsLostAndOnlyTheLastDeliveriesMayComeAgain() throws Exception {
        Simulation before = new Simulation(T0);
        for (int i = 0; i < 1000; i++) {
            before.schedule(T0 + 10 * SECOND + i * 100, "m" + i, true);
        }
        before.commit.flushNow();
        before.runUntil(T0 + 60 * SECOND - 50);
        int deliveredBefore = before.delivered.size();
        assertThat(deliveredBefore).isEqualTo(500);
        // A crash: the store is neither closed nor flushed again, its files are simply reopened.

        Simulation after = new Simulation(T0 + 60 * SECOND);
        after.runUntil(T0 + 200 * SECOND);

        for (int i = 500; i < 1000; i++) {
            assertThat(after.delivered.get("m" + i)).as("m%d", i).containsExactly(T0 + 10 * SECOND + i * 100);
        }
        // Settles are written every 20 ms of the scheduler's time at most: at most the last
        // step's deliveries before the crash come back.
        List<String> again = after.delivered.keySet().stream().filter(before.delivered::containsKey).toList();
        assertThat(again).allSatisfy(m -> assertThat(Integer.parseInt(m.substring(1))).isGreaterThanOrEqualTo(499));
    }

    @Test
    void aTornTailIsCutAndEveryWholeRecordIsDelivered() throws Exception {
        Simulation before = new Simulation(T0);
        for (int i = 0; i < 10; i++) {
            before.schedule(T0 + 5 * SECOND, "m" + i, true);
        }
        before.commit.flushNow();
        Path file;
        try (Stream<Path> walk = Files.walk(dir)) {
            file = walk.filter(p -> p.toString().endsWith(".msgs")).findFirst().orElseThrow();
        }
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE, StandardOpenOption.APPEND)) {
            // Half a record header: what a crash in the middle of a write leaves.
            ch.write(ByteBuffer.wrap(new byte[] {0x53, 0x50, 0x4F, 0x4C, 0, 0}));
        }
        long size = Files.size(file);

        Simulation after = new Simulation(T0 + SECOND);
        assertThat(after.store.recovery().cutBytes()).isEqualTo(6);
        assertThat(Files.size(file)).isEqualTo(size - 6);
        after.runUntil(T0 + 10 * SECOND);
        assertThat(after.delivered).hasSize(10);
    }

    @Test
    void aSliceLargerThanOnePartRollsOverAndIsReadAcrossItsParts() throws Exception {
        // Parts of 4 KiB: a 64-second slice of 300 records of ~100 bytes needs several.
        Simulation sim = new Simulation(T0, 4096);
        long start = (T0 / ScheduleStore.WIDTH[1] + 2) * ScheduleStore.WIDTH[1];
        for (int i = 0; i < 300; i++) {
            sim.schedule(start + (299 - i) * 200L, "m" + i + " " + "x".repeat(40));
        }
        assertThat(sim.files()).isGreaterThan(5);
        // And some into a level-0 slice that is being loaded while it grows.
        for (int i = 0; i < 100; i++) {
            sim.schedule(T0 + 500 + i, "now" + i + " " + "y".repeat(60));
        }

        sim.runUntil(start + 100 * SECOND);

        assertThat(sim.delivered).hasSize(400);
        for (int i = 0; i < 300; i++) {
            assertThat(sim.delivered.get("m" + i + " " + "x".repeat(40))).containsExactly(start + (299 - i) * 200L);
        }
        assertThat(sim.files()).isZero();
    }

    @Test
    void persistentMessagesAreDurableAtTheGenerationScheduleReturns() throws Exception {
        Simulation sim = new Simulation(T0);
        long transientGeneration = sim.schedule(T0 + DAY, "transient", false);
        long persistentGeneration = sim.schedule(T0 + DAY, "persistent", true);

        assertThat(transientGeneration).isZero();
        assertThat(persistentGeneration).isPositive();
        sim.commit.flushNow();
        assertThat(sim.commit.durableGeneration()).isGreaterThanOrEqualTo(persistentGeneration);
    }
}
