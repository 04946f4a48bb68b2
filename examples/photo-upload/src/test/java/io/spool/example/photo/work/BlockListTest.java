package io.spool.example.photo.work;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BlockListTest {

    private static final String A = "a".repeat(64);
    private static final String B = "b".repeat(64);

    @TempDir
    Path dir;

    @Test
    void aMissingFileBlocksNothing() throws IOException {
        assertThat(new BlockList(dir.resolve("none.txt")).contains(A)).isFalse();
    }

    @Test
    void hashesAddedWhileRunningCountFromTheNextCheck() throws IOException {
        Path file = Files.writeString(dir.resolve("block-list.txt"), A.toUpperCase() + "  # shouted\n");
        BlockList list = new BlockList(file);
        assertThat(list.contains(A)).isTrue();
        assertThat(list.contains(B)).isFalse();

        Files.writeString(file, A + "\n" + B + "\n");
        Files.setLastModifiedTime(file, FileTime.from(Instant.now().plusSeconds(5)));

        assertThat(list.contains(B)).isTrue();
    }

    @Test
    void aLineThatIsNoHashStopsModerationWithItsLineNumber() throws IOException {
        Path file = Files.writeString(dir.resolve("block-list.txt"), A + "\nnot-a-hash\n");
        assertThatThrownBy(() -> new BlockList(file).contains(A))
                .isInstanceOf(IOException.class)
                .hasMessage(file + " line 2: not a SHA-256 in hex: not-a-hash");
    }
}
