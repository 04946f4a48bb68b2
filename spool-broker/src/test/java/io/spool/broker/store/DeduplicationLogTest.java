package io.spool.broker.store;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The log behind an exchange's deduplication keys on disk: what it reads back after a clean
 * close, after a crash (records only handed to the group commit), and after a rewrite that a
 * crash cut short.
 */
class DeduplicationLogTest {

    @TempDir
    Path tmp;

    private Path dir;

    private final GroupCommit commit = new GroupCommit();

    @BeforeEach
    void logDirectory() {
        dir = tmp.resolve("log");
    }

    @AfterEach
    void stop() {
        commit.close();
    }

    private static byte[] key(String k) {
        return k.getBytes(StandardCharsets.UTF_8);
    }

    private static List<String> replayed(DeduplicationLog log) {
        return log.replayed().stream()
                .map(r -> new String(r.key(), StandardCharsets.UTF_8) + (r.forgotten() ? " forgotten" : " " + r.expiresAt()))
                .toList();
    }

    private DeduplicationLog fresh() throws IOException {
        DeduplicationLog log = DeduplicationLog.open(dir, commit);
        log.rewrite(List.of());
        return log;
    }

    private List<String> files() throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    @Test
    void recordsComeBackInOrderAfterAClose() throws IOException {
        DeduplicationLog log = fresh();
        log.remembered(key("a"), 1_000);
        log.remembered(key("b"), Long.MAX_VALUE);
        log.forgotten(key("a"));
        log.close();

        assertThat(replayed(DeduplicationLog.open(dir, commit)))
                .containsExactly("a 1000", "b " + Long.MAX_VALUE, "a forgotten");
    }

    @Test
    void recordsDurableAtTheirGenerationAreOnDiskWithoutAClose() throws IOException {
        DeduplicationLog log = fresh();
        log.remembered(key("a"), 5);
        long generation = log.generation();
        commit.flushNow();
        assertThat(commit.durableGeneration()).isGreaterThanOrEqualTo(generation);

        // Not closed: as after kill -9, only what the commit wrote is there.
        assertThat(replayed(DeduplicationLog.open(dir, commit))).containsExactly("a 5");
    }

    @Test
    void aRewriteKeepsOnlyTheLiveKeysAndTakesTheAppendsAfterIt() throws IOException {
        DeduplicationLog log = fresh();
        for (int i = 0; i < 100; i++) {
            log.remembered(key("k" + i), i);
        }
        commit.flushNow();
        log.rewrite(List.of(new DeduplicationLog.Entry(key("k98"), 98), new DeduplicationLog.Entry(key("k99"), 99)));
        log.remembered(key("after"), 7);
        assertThat(log.records()).isEqualTo(3);
        log.close();

        assertThat(files()).containsExactly("0000000001.msgs");
        assertThat(replayed(DeduplicationLog.open(dir, commit))).containsExactly("k98 98", "k99 99", "after 7");
    }

    @Test
    void aRewriteCutShortByACrashLeavesTheOldSegmentInCharge() throws IOException {
        DeduplicationLog log = fresh();
        log.remembered(key("a"), 1);
        log.close();
        // A crash while the next snapshot was being written: its temporary file, half done.
        Files.write(dir.resolve("0000000001.tmp"), new byte[] {0, 0, 0, 42, 1, 2});

        DeduplicationLog reopened = DeduplicationLog.open(dir, commit);
        assertThat(replayed(reopened)).containsExactly("a 1");
        assertThat(files()).containsExactly("0000000000.msgs");
    }

    @Test
    void aCrashAfterTheRenameLeavesTheNewSnapshotInCharge() throws IOException {
        DeduplicationLog log = fresh();
        log.remembered(key("forgotten since"), 1);
        log.close();
        // The snapshot renamed into place, the old segment not yet deleted.
        DeduplicationLog other = DeduplicationLog.open(tmp.resolve("other"), commit);
        other.rewrite(List.of(new DeduplicationLog.Entry(key("live"), 2)));
        other.close();
        Files.copy(tmp.resolve("other").resolve("0000000000.msgs"),
                dir.resolve("0000000001.msgs"));

        assertThat(replayed(DeduplicationLog.open(dir, commit))).containsExactly("live 2");
        assertThat(files()).containsExactly("0000000001.msgs");
    }

    @Test
    void aTornRecordEndsTheReplay() throws IOException {
        DeduplicationLog log = fresh();
        log.remembered(key("whole"), 1);
        log.remembered(key("torn"), 2);
        log.close();
        Path segment = dir.resolve("0000000000.msgs");
        long size = Files.size(segment);
        try (var ch = Files.newByteChannel(segment, StandardOpenOption.WRITE)) {
            ch.truncate(size - 3);
        }

        assertThat(replayed(DeduplicationLog.open(dir, commit))).containsExactly("whole 1");
    }
}
