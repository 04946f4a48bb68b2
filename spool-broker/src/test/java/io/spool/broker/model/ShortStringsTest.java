package io.spool.broker.model;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class ShortStringsTest {

    private static ByteBuf encoded(String... names) {
        ByteBuf buf = Unpooled.buffer();
        for (String n : names) {
            FieldTable.writeShortString(buf, n);
        }
        return buf;
    }

    @Test
    void aRepeatedNameDecodesToTheSameStringInstance() {
        ByteBuf buf = encoded("amq.direct", "jobs.resize", "amq.direct");
        String first = FieldTable.readShortString(buf);
        assertThat(FieldTable.readShortString(buf)).isEqualTo("jobs.resize");
        assertThat(FieldTable.readShortString(buf)).isSameAs(first);
        assertThat(buf.isReadable()).isFalse();
        buf.release();
    }

    @Test
    void everyNameComesBackExactlyEvenWhenSlotsAreShared() {
        List<String> names = new ArrayList<>();
        for (int i = 0; i < 5_000; i++) {
            names.add("queue-" + i);
        }
        names.add("");
        names.add("héllo wörld ✓");
        names.add("k".repeat(64));
        names.add("l".repeat(255));
        ByteBuf buf = encoded(names.toArray(String[]::new));
        ByteBuf again = encoded(names.toArray(String[]::new));
        for (String n : names) {
            assertThat(FieldTable.readShortString(buf)).isEqualTo(n);
        }
        for (String n : names) {
            assertThat(FieldTable.readShortString(again)).isEqualTo(n);
        }
        buf.release();
        again.release();
    }

    @Test
    void namesThatDifferOnlyInOneByteAreNotConfused() {
        ByteBuf buf = encoded("orders.eu", "orders.us", "orders.eu", "orders.us");
        assertThat(List.of(FieldTable.readShortString(buf), FieldTable.readShortString(buf),
                FieldTable.readShortString(buf), FieldTable.readShortString(buf)))
                .containsExactly("orders.eu", "orders.us", "orders.eu", "orders.us");
        buf.release();
    }

    @Test
    void malformedUtf8DecodesWithReplacementCharacters() {
        ByteBuf buf = Unpooled.buffer();
        buf.writeByte(2).writeBytes(new byte[] {(byte) 0xC3, (byte) 0x28});
        assertThat(FieldTable.readShortString(buf))
                .isEqualTo(new String(new byte[] {(byte) 0xC3, (byte) 0x28}, StandardCharsets.UTF_8));
        buf.release();
    }
}
