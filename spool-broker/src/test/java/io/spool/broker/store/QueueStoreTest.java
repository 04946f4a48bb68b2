package io.spool.broker.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.spool.broker.model.Message;
import io.spool.broker.model.MessageProperties;
import io.spool.broker.util.LongDeque;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class QueueStoreTest {

    @TempDir
    Path dir;

    private final GroupCommit commit = new GroupCommit();
    private final Object lock = new Object();

    @AfterEach
    void stop() {
        commit.close();
    }

    private static Message message(int i, boolean persistent) {
        MessageProperties props = new MessageProperties.Builder()
                .deliveryMode(persistent ? 2 : 1)
                .headers(Map.of("n", i, "tag", String.format("job-%03d", i)))
                .build();
        // Fixed-width numbers make every record the same size, so tests can find record edges.
        return new Message("jobs-x", String.format("key.%03d", i), props,
                String.format("body-%03d", i).getBytes(StandardCharsets.UTF_8));
    }

    private static String bodyOf(Message m) {
        return new String(m.body(), StandardCharsets.UTF_8);
    }

    @Test
    void appendedMessagesReadBackByteForByte() {
        QueueStore store = QueueStore.create(dir, true, commit, lock, 1 << 20);
        synchronized (lock) {
            Message m = message(7, true);
            long p = store.append(m, true, 0, Long.MAX_VALUE);
            Message back = store.read(p);
            assertThat(back.exchange()).isEqualTo("jobs-x");
            assertThat(back.routingKey()).isEqualTo("key.007");
            assertThat(back.properties().raw()).isEqualTo(m.properties().raw());
            assertThat(back.body()).isEqualTo(m.body());
            store.close(0);
        }
    }

    @Test
    void recoveryBringsBackUnackedPersistentMessagesInOrderAndDropsTransientOnes() throws IOException {
        QueueStore store = QueueStore.create(dir, true, commit, lock, 4096);
        List<Long> positions = new ArrayList<>();
        synchronized (lock) {
            for (int i = 0; i < 200; i++) {
                positions.add(store.append(message(i, i % 10 != 0), i % 10 != 0, 0, Long.MAX_VALUE));
            }
            for (int i = 0; i < 50; i++) {
                store.settle(positions.get(i), i % 10 != 0);
            }
        }
        commit.flushNow();
        crash(store);

        QueueStore.Recovery r = QueueStore.recover(dir, commit, lock, 4096);
        List<String> bodies = bodies(r);
        List<String> expected = new ArrayList<>();
        for (int i = 50; i < 200; i++) {
            if (i % 10 != 0) {
                expected.add(String.format("body-%03d", i));
            }
        }
        assertThat(bodies).containsExactlyElementsOf(expected);
        assertThat(r.recovered()).isEqualTo(expected.size());
        assertThat(r.transientDropped()).isEqualTo(20);
        assertThat(r.damaged()).isZero();
        assertThat(r.cutBytes()).isZero();
    }

    @Test
    void settledSegmentsAreDeletedAndADrainedStoreUsesAlmostNoDisk() throws IOException {
        QueueStore store = QueueStore.create(dir, true, commit, lock, 4096);
        List<Long> positions = new ArrayList<>();
        synchronized (lock) {
            for (int i = 0; i < 500; i++) {
                positions.add(store.append(message(i, true), true, 0, Long.MAX_VALUE));
            }
        }
        commit.flushNow();
        assertThat(segmentFiles()).hasSizeGreaterThan(5);
        synchronized (lock) {
            for (long p : positions) {
                store.settle(p, true);
            }
        }
        commit.flushNow();
        // Only the segment still being written is left, until the queue goes quiet.
        assertThat(segmentFiles()).hasSize(1);
        store.releaseIfIdle();
        store.releaseIfIdle();
        assertThat(segmentFiles()).isEmpty();
        assertThat(store.diskBytes()).isZero();
        crash(store);
    }

    @Test
    void tornTailIsCutAtAnyOffsetAndEveryCompleteRecordSurvives() throws IOException {
        Random random = new Random(42);
        for (int round = 0; round < 20; round++) {
            Path d = dir.resolve("round-" + round);
            Path segment = crashedStoreOf(d, 100);
            long recordSize = MessageRecord.size(message(0, true));
            long size = 100 * recordSize;
            long cutAt = 1 + (long) (random.nextDouble() * (size - 1));
            try (RandomAccessFile f = new RandomAccessFile(segment.toFile(), "rw")) {
                f.setLength(cutAt);
            }
            QueueStore.Recovery r = QueueStore.recover(d, commit, lock, 1 << 20);
            List<String> bodies = bodies(r);
            // every record that lies wholly before the cut is back, in order, and nothing else
            assertThat(bodies).isNotNull();
            for (int i = 0; i < bodies.size(); i++) {
                assertThat(bodies.get(i)).isEqualTo(String.format("body-%03d", i));
            }
            assertThat(bodies.size()).isEqualTo((int) (cutAt / recordSize));
            assertThat(r.cutBytes()).isEqualTo(cutAt - bodies.size() * recordSize);
            assertThat(r.damaged()).isZero();
            assertThat(Files.size(segment)).isEqualTo(bodies.size() * recordSize);
        }
    }

    @Test
    void zerosWrittenAheadOfPersistentRecordsAreCutAtRecoveryAsNoDamage() throws IOException {
        // waits for the zeros the commit writes ahead of what it has just fsynced
        Path segment = crashedStoreOf(dir, 100);
        long dataEnd = 100L * MessageRecord.size(message(0, true));

        QueueStore.Recovery r = QueueStore.recover(dir, commit, lock, 1 << 20);
        assertThat(r.recovered()).isEqualTo(100);
        assertThat(bodies(r)).first().isEqualTo("body-000");
        assertThat(r.cutBytes()).isZero();
        assertThat(r.damaged()).isZero();
        assertThat(Files.size(segment)).isEqualTo(dataEnd);
    }

    @Test
    void aTornRecordBeforeZerosWrittenAheadIsCutAsDamage() throws IOException {
        Path segment = crashedStoreOf(dir, 10);
        long recordSize = MessageRecord.size(message(0, true));
        long size = Files.size(segment);
        // The last record's header reached the disk, its payload did not.
        try (RandomAccessFile f = new RandomAccessFile(segment.toFile(), "rw")) {
            f.seek(9 * recordSize + MessageRecord.HEADER);
            f.write(new byte[(int) recordSize - MessageRecord.HEADER]);
        }

        QueueStore.Recovery r = QueueStore.recover(dir, commit, lock, 1 << 20);
        assertThat(r.recovered()).isEqualTo(9);
        assertThat(r.cutBytes()).isEqualTo(size - 9 * recordSize);
        assertThat(Files.size(segment)).isEqualTo(9 * recordSize);
    }

    @Test
    void transientRecordsAreWrittenWithoutZerosAhead() throws IOException {
        Path transientDir = dir.resolve("transient");
        Path persistentDir = dir.resolve("persistent");
        QueueStore transientStore = QueueStore.create(transientDir, true, commit, lock, 1 << 20);
        QueueStore persistentStore = QueueStore.create(persistentDir, true, commit, lock, 1 << 20);
        synchronized (lock) {
            for (int i = 0; i < 100; i++) {
                transientStore.append(message(i, false), false, 0, Long.MAX_VALUE);
                persistentStore.append(message(i, true), true, 0, Long.MAX_VALUE);
            }
        }
        commit.flushNow();
        // Once the commit has written zeros ahead of the persistent records, it is done with both.
        long persistentEnd = 100L * MessageRecord.size(message(0, true));
        await().atMost(Duration.ofSeconds(10)).until(() -> Files.size(onlySegment(persistentDir)) > persistentEnd);
        crash(transientStore);
        crash(persistentStore);
        assertThat(Files.size(onlySegment(transientDir))).isEqualTo(100L * MessageRecord.size(message(0, false)));
    }

    @Test
    void aDamagedRecordInTheMiddleIsSkippedAndReportedAndTheRestSurvive() throws IOException {
        Random random = new Random(7);
        for (int round = 0; round < 20; round++) {
            Path d = dir.resolve("round-" + round);
            Path segment = crashedStoreOf(d, 100);
            long recordSize = MessageRecord.size(message(0, true));
            int victim = 1 + random.nextInt(97);
            long at = victim * recordSize + random.nextInt((int) recordSize);
            try (RandomAccessFile f = new RandomAccessFile(segment.toFile(), "rw")) {
                f.seek(at);
                int b = f.read();
                f.seek(at);
                f.write(b ^ (1 << random.nextInt(8)));
            }
            QueueStore.Recovery r = QueueStore.recover(d, commit, lock, 1 << 20);
            List<String> expected = new ArrayList<>();
            for (int i = 0; i < 100; i++) {
                if (i != victim) {
                    expected.add(String.format("body-%03d", i));
                }
            }
            assertThat(bodies(r)).as("flipped a bit at %d in record %d", at, victim).containsExactlyElementsOf(expected);
            assertThat(r.damaged()).isEqualTo(1);
            assertThat(r.cutBytes()).isZero();
        }
    }

    @Test
    void acksSurviveACrashAndAreReplayed() throws IOException {
        QueueStore store = QueueStore.create(dir, true, commit, lock, 1 << 20);
        List<Long> positions = new ArrayList<>();
        synchronized (lock) {
            for (int i = 0; i < 10; i++) {
                positions.add(store.append(message(i, true), true, 0, Long.MAX_VALUE));
            }
            store.settle(positions.get(3), true);
            store.settle(positions.get(4), true);
        }
        commit.flushNow();
        crash(store);
        QueueStore.Recovery r = QueueStore.recover(dir, commit, lock, 1 << 20);
        assertThat(bodies(r)).containsExactly("body-000", "body-001", "body-002", "body-005", "body-006", "body-007", "body-008",
                "body-009");
        assertThat(r.acked()).isEqualTo(2);
    }

    @Test
    void cleanCloseRemembersWhatWasDeliveredAndACrashAssumesEverythingWas() throws IOException {
        QueueStore store = QueueStore.create(dir, true, commit, lock, 1 << 20);
        List<Long> positions = new ArrayList<>();
        synchronized (lock) {
            for (int i = 0; i < 10; i++) {
                positions.add(store.append(message(i, true), true, 0, Long.MAX_VALUE));
            }
            store.close(positions.get(4));
        }
        QueueStore.Recovery clean = QueueStore.recover(dir, commit, lock, 1 << 20);
        assertThat(clean.redeliverBelow()).isEqualTo(positions.get(4));

        QueueStore.Recovery crashed = QueueStore.recover(dir, commit, lock, 1 << 20);
        assertThat(crashed.redeliverBelow()).isGreaterThan(positions.get(9));
    }

    @Test
    void anAckFileLeftByACrashDuringASegmentDeletionDoesNotSettleLaterMessages() throws IOException {
        // A store whose segments were all settled and deleted, except that a crash between
        // the two deletions left segment 1's ack file behind: records at its offsets had been
        // acked. After the restart no segment file is left, so segment ids start at 1 again.
        QueueStore store = QueueStore.create(dir, true, commit, lock, 1 << 20);
        List<Long> positions = new ArrayList<>();
        synchronized (lock) {
            for (int i = 0; i < 10; i++) {
                positions.add(store.append(message(i, true), true, 0, Long.MAX_VALUE));
            }
        }
        commit.flushNow();
        byte[] acks = new byte[4 * 5];
        java.nio.ByteBuffer b = java.nio.ByteBuffer.wrap(acks);
        for (int i = 0; i < 5; i++) {
            b.putInt((int) Position.offset(positions.get(i)));
        }
        synchronized (lock) {
            for (long p : positions) {
                store.settle(p, true);
            }
        }
        commit.flushNow();
        store.releaseIfIdle();
        store.releaseIfIdle();
        crash(store);
        assertThat(segmentFiles()).isEmpty();
        Files.write(dir.resolve("0000000001.acks"), acks);

        QueueStore.Recovery empty = QueueStore.recover(dir, commit, lock, 1 << 20);
        assertThat(empty.recovered()).isZero();
        synchronized (lock) {
            for (int i = 10; i < 20; i++) {
                assertThat(Position.segment(empty.store().append(message(i, true), true, 0, Long.MAX_VALUE))).isEqualTo(1);
            }
        }
        commit.flushNow();
        crash(empty.store());

        QueueStore.Recovery r = QueueStore.recover(dir, commit, lock, 1 << 20);
        assertThat(bodies(r)).containsExactly("body-010", "body-011", "body-012", "body-013", "body-014", "body-015",
                "body-016", "body-017", "body-018", "body-019");
        assertThat(r.acked()).isZero();
    }

    /**
     * Appends persistent messages 0 to n-1 to a new store in {@code d}, waits until the group
     * commit has fsynced them and written zeros ahead of them, then crashes the store. Returns
     * its one segment file.
     */
    private Path crashedStoreOf(Path d, int n) throws IOException {
        QueueStore store = QueueStore.create(d, true, commit, lock, 1 << 20);
        synchronized (lock) {
            for (int i = 0; i < n; i++) {
                store.append(message(i, true), true, 0, Long.MAX_VALUE);
            }
        }
        commit.flushNow();
        Path segment = onlySegment(d);
        long dataEnd = n * (long) MessageRecord.size(message(0, true));
        await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(5))
                .until(() -> Files.size(segment) > dataEnd);
        crash(store);
        return segment;
    }

    /** What a kill -9 leaves: files as flushed, no clean-shutdown mark. Frees the buffers. */
    private void crash(QueueStore store) {
        synchronized (lock) {
            store.close(Long.MAX_VALUE);
        }
    }

    private List<String> bodies(QueueStore.Recovery r) {
        List<String> out = new ArrayList<>();
        LongDeque p = r.positions();
        synchronized (lock) {
            for (int i = 0; i < p.size(); i++) {
                out.add(bodyOf(r.store().read(p.get(i))));
            }
        }
        return out;
    }

    private List<Path> segmentFiles() throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(p -> p.toString().endsWith(".msgs")).toList();
        }
    }

    private static Path onlySegment(Path d) throws IOException {
        try (Stream<Path> s = Files.list(d)) {
            List<Path> all = s.filter(p -> p.toString().endsWith(".msgs")).toList();
            assertThat(all).hasSize(1);
            return all.get(0);
        }
    }
}
