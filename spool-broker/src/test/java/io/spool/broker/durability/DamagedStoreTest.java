package io.spool.broker.durability;

import static org.assertj.core.api.Assertions.assertThat;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.GetResponse;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Damaged segment files at broker level: after the broker stopped (cleanly or by kill -9) the
 * last segment of a queue is cut at a random offset and one bit is flipped inside a record of an
 * earlier segment. On restart every undamaged record comes back in order, and the log says how
 * many messages were recovered, how many damaged records were skipped, how many bytes of torn
 * tail were cut, and how long it took.
 *
 * <p>The test reads the segment files itself, as documented: records of
 * {@code [magic 'SPOL'][u32 length][u32 crc32c][payload]}, the payload ending with the body.
 * {@code -Dspool.damage.rounds=N} runs more rounds (give a long run time with
 * {@code -Djunit.jupiter.execution.timeout.default=30m}); {@code -Dspool.damage.seed=S} repeats a run.
 */
class DamagedStoreTest {

    private static final int MESSAGES = 2_000;
    private static final int MAGIC = 0x53504F4C;
    private static final Pattern QUEUE_LINE = Pattern.compile("recovered queue 'dmg': (\\d+) messages in (\\d+) ms "
            + "\\((\\d+) acked, (\\d+) transient dropped, (\\d+) damaged skipped, (\\d+) bytes cut, (\\d+) settled "
            + "segments deleted\\)");
    private static final Pattern SUMMARY_LINE = Pattern.compile("recovered (\\d+) exchanges, (\\d+) queues, (\\d+) "
            + "bindings and (\\d+) messages in (\\d+) ms \\((\\d+) damaged records skipped, (\\d+) bytes of torn tail "
            + "cut\\)");

    @TempDir
    Path tmp;

    /** One record of a segment file: where it is and which message it holds. */
    private record Record(Path segment, long offset, int length, String body) {
        long end() {
            return offset + 12 + length;
        }
    }

    @Test
    void aTornTailIsCutADamagedRecordIsSkippedAndEveryOtherRecordComesBack() throws Exception {
        long seed = Long.getLong("spool.damage.seed", System.nanoTime());
        Random random = new Random(seed);
        int rounds = Integer.getInteger("spool.damage.rounds", 4);
        for (int round = 0; round < rounds; round++) {
            boolean killed = round % 2 == 1;
            damageAndRecover(tmp.resolve("round-" + round), killed, random,
                    "round " + round + (killed ? " (kill -9)" : " (clean stop)") + " of seed " + seed);
        }
    }

    private void damageAndRecover(Path data, boolean kill, Random random, String what) throws Exception {
        List<String> published = new ArrayList<>();
        try (BrokerProcess broker = BrokerProcess.start(data, "--segment-size", "65536")) {
            Channel ch = broker.connect().createChannel();
            ch.queueDeclare("dmg", true, false, false, null);
            ch.confirmSelect();
            AMQP.BasicProperties persistent = new AMQP.BasicProperties.Builder().deliveryMode(2).build();
            for (int i = 0; i < MESSAGES; i++) {
                // Bodies of different lengths, so records do not line up at fixed offsets.
                String body = String.format("message-%05d-", i) + "x".repeat(random.nextInt(200));
                published.add(body);
                ch.basicPublish("", "dmg", persistent, body.getBytes(StandardCharsets.UTF_8));
            }
            ch.waitForConfirmsOrDie(30_000);
            if (kill) {
                broker.kill();
            } else {
                assertThat(broker.stop()).isZero();
            }
        }

        List<Path> segments = segments(data);
        assertThat(segments).as("%s: segments", what).hasSizeGreaterThanOrEqualTo(3);
        List<Record> records = new ArrayList<>();
        for (Path s : segments) {
            records.addAll(records(s));
        }
        assertThat(records).extracting(Record::body).as(what).containsExactlyElementsOf(published);

        // Flip one bit inside a record of a middle segment, but not its segment's last record
        // (damage at the very end of a segment is a torn tail, and is cut).
        Path middle = segments.get(1 + random.nextInt(segments.size() - 2));
        List<Record> inMiddle = records.stream().filter(r -> r.segment().equals(middle)).toList();
        Record victim = inMiddle.get(random.nextInt(inMiddle.size() - 1));
        long flipAt = victim.offset() + random.nextInt(12 + victim.length());
        try (RandomAccessFile f = new RandomAccessFile(middle.toFile(), "rw")) {
            f.seek(flipAt);
            int b = f.read();
            f.seek(flipAt);
            f.write(b ^ (1 << random.nextInt(8)));
        }
        // Cut the last segment anywhere in its records.
        Path last = segments.getLast();
        long lastSize = records.getLast().end();
        long cutAt = 1 + (long) (random.nextDouble() * (lastSize - 1));
        try (RandomAccessFile f = new RandomAccessFile(last.toFile(), "rw")) {
            f.setLength(cutAt);
        }
        List<String> expected = new ArrayList<>();
        long goodEnd = 0;
        for (Record r : records) {
            boolean cut = r.segment().equals(last) && r.end() > cutAt;
            if (r.segment().equals(last) && !cut) {
                goodEnd = r.end();
            }
            if (r != victim && !cut) {
                expected.add(r.body());
            }
        }
        long expectedCut = cutAt - goodEnd;
        String damage = String.format("%s: bit flipped at %d of %s (record at %d), %s cut at %d of %d", what, flipAt,
                middle.getFileName(), victim.offset(), last.getFileName(), cutAt, lastSize);

        try (BrokerProcess broker = BrokerProcess.start(data, "--segment-size", "65536")) {
            // The torn tail is gone from the file, which ends at the last whole record (a
            // segment left with no record at all is deleted).
            assertThat(Files.exists(last) ? Files.size(last) : 0).as(damage).isEqualTo(goodEnd);
            Channel ch = broker.connect().createChannel();
            List<String> back = new ArrayList<>();
            for (GetResponse r = ch.basicGet("dmg", true); r != null; r = ch.basicGet("dmg", true)) {
                back.add(new String(r.getBody(), StandardCharsets.UTF_8));
                assertThat(r.getEnvelope().isRedeliver()).as(damage + ": redelivered after a crash only")
                        .isEqualTo(kill);
            }
            assertThat(back).as(damage).containsExactlyElementsOf(expected);

            List<String> log = broker.process().stdout();
            Matcher q = find(log, QUEUE_LINE, damage);
            assertThat(Long.parseLong(q.group(1))).as(damage + ": recovered").isEqualTo(expected.size());
            assertThat(Long.parseLong(q.group(5))).as(damage + ": skipped").isEqualTo(1);
            assertThat(Long.parseLong(q.group(6))).as(damage + ": bytes cut").isEqualTo(expectedCut);
            Matcher summary = find(log, SUMMARY_LINE, damage);
            assertThat(Long.parseLong(summary.group(4))).as(damage + ": recovered").isEqualTo(expected.size());
            assertThat(Long.parseLong(summary.group(6))).as(damage + ": skipped").isEqualTo(1);
            assertThat(Long.parseLong(summary.group(7))).as(damage + ": bytes cut").isEqualTo(expectedCut);
            assertThat(log).as(damage).anyMatch(l -> l.contains("WARN") && l.contains("skipped 1 damaged region"));
            if (expectedCut > 0) {
                assertThat(log).as(damage).anyMatch(l -> l.contains("WARN")
                        && l.contains("cutting " + expectedCut + " bytes of torn or damaged tail"));
            }
        }
    }

    private static Matcher find(List<String> log, Pattern p, String what) {
        return log.stream().map(p::matcher).filter(Matcher::find).findFirst()
                .orElseThrow(() -> new AssertionError(what + ": no log line matching " + p + " in\n"
                        + String.join("\n", log)));
    }

    private static List<Path> segments(Path data) throws IOException {
        try (Stream<Path> queues = Files.list(data.resolve("queues"))) {
            List<Path> dirs = queues.toList();
            assertThat(dirs).hasSize(1);
            try (Stream<Path> files = Files.list(dirs.get(0))) {
                return files.filter(p -> p.getFileName().toString().endsWith(".msgs")).sorted().toList();
            }
        }
    }

    /**
     * Walks a segment file record by record; every record in it must be whole, and only zeros
     * (written ahead of the records) may follow the last.
     */
    private static List<Record> records(Path segment) throws IOException {
        ByteBuffer file = ByteBuffer.wrap(Files.readAllBytes(segment));
        List<Record> out = new ArrayList<>();
        while (file.hasRemaining() && !onlyZerosLeft(file)) {
            int offset = file.position();
            assertThat(file.getInt()).as("magic at %d of %s", offset, segment).isEqualTo(MAGIC);
            int length = file.getInt();
            file.getInt(); // crc
            ByteBuffer payload = file.slice(file.position(), length);
            file.position(file.position() + length);
            payload.get(); // flags
            payload.get(); // priority
            payload.getLong(); // expires at
            skip(payload, payload.get() & 0xFF); // exchange
            skip(payload, payload.get() & 0xFF); // routing key
            skip(payload, payload.getInt()); // properties
            byte[] body = new byte[payload.remaining()];
            payload.get(body);
            out.add(new Record(segment, offset, length, new String(body, StandardCharsets.UTF_8)));
        }
        return out;
    }

    private static boolean onlyZerosLeft(ByteBuffer b) {
        for (int i = b.position(); i < b.limit(); i++) {
            if (b.get(i) != 0) {
                return false;
            }
        }
        return true;
    }

    private static void skip(ByteBuffer b, int n) {
        b.position(b.position() + n);
    }
}
