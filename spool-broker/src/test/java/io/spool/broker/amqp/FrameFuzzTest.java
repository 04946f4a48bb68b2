package io.spool.broker.amqp;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.spool.broker.amqp.method.AmqpMethod;
import io.spool.broker.amqp.method.BasicMethod;
import io.spool.broker.amqp.method.ChannelMethod;
import io.spool.broker.amqp.method.ConfirmMethod;
import io.spool.broker.amqp.method.ConnectionMethod;
import io.spool.broker.amqp.method.ExchangeMethod;
import io.spool.broker.amqp.method.QueueMethod;
import io.spool.broker.amqp.method.TxMethod;
import io.spool.broker.model.MessageProperties;
import io.spool.broker.testing.Bystander;
import io.spool.broker.testing.TestBroker;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Property: whatever a client sends after the handshake, the broker either keeps serving that
 * connection or closes it with a 4xx/5xx reply code; it never crashes, hangs, or lets another
 * connection notice. Checked on a few hundred seeded random mutations (bit flips, overwritten,
 * inserted and deleted bytes) of a valid session. Run with {@code -Dfuzz.seed=N} to replay or
 * explore; a failure names its seed, iteration and bytes.
 */
class FrameFuzzTest {

    private static final Logger log = LoggerFactory.getLogger(FrameFuzzTest.class);

    private static final int ITERATIONS = Integer.getInteger("fuzz.iterations", 300);
    private static final long SEED = Long.getLong("fuzz.seed", 0x5B001L);
    private static final long FRAME_MAX = 4096;
    /** How long the broker may be silent before we suspect it waits for the rest of a frame. */
    private static final Duration QUIET = Duration.ofMillis(250);
    /** Enough zero bytes to complete any partial frame under FRAME_MAX and break its end octet. */
    private static final byte[] FILLER = new byte[(int) FRAME_MAX + 100];
    private static final byte[] CLIENT_CLOSE = RawAmqpClient.bytes(
            buf -> FrameWriter.method(buf, 0, new ConnectionMethod.Close(200, "fuzz session over", 0, 0)));

    @RegisterExtension
    final TestBroker broker = new TestBroker(b -> b.maxMessageSize(64 * 1024));

    /** What became of one mutated session. */
    private record Outcome(String what, int code) {}

    @Test
    void mutatedSessionsEndInAReplyCodeOrKeepWorking() throws Exception {
        Bystander bystander = Bystander.join(broker);
        Random random = new Random(SEED);
        Map<String, Integer> tally = new TreeMap<>();
        List<RawAmqpClient> closing = new ArrayList<>();
        Map<Integer, Integer> channelCloses = new TreeMap<>();
        for (int i = 0; i < ITERATIONS; i++) {
            List<byte[]> valid = validSession(i);
            List<String> mutations = new ArrayList<>();
            byte[] mutated = random.nextBoolean()
                    ? mutateBytes(RawAmqpClient.concat(valid.toArray(byte[][]::new)), random, mutations)
                    : mutateOnePayload(valid, random, mutations);
            RawAmqpClient c = RawAmqpClient.open(broker.port(), FRAME_MAX, 0).openChannel(1);
            Outcome outcome;
            try {
                outcome = play(c, mutated, channelCloses);
            } catch (AssertionError | RuntimeException e) {
                c.close();
                throw new AssertionError("fuzz seed " + SEED + ", iteration " + i + ", mutations " + mutations
                        + ", bytes " + HexFormat.of().formatHex(mutated) + ": " + e.getMessage(), e);
            }
            tally.merge(outcome.what() + (outcome.code() == 0 ? "" : " " + outcome.code()), 1, Integer::sum);
            closing.add(c);
            bystander.assertRoundTrip();
            if (i % 50 == 49) {
                expectAllClosed(closing);
                bystander.assertStillServed();
            }
        }
        expectAllClosed(closing);
        bystander.assertStillServed();
        log.info("fuzz seed {}: {} sessions, outcomes {}, channels closed by code {}", SEED, ITERATIONS, tally,
                channelCloses);
        // The mutations must reach both the happy path and the error paths to mean anything.
        assertThat(tally).containsKey("kept working");
        assertThat(tally.keySet()).anyMatch(k -> k.startsWith("closed"));
    }

    /**
     * Sends the bytes and then our own connection.close, and reads until the broker answers
     * it with close-ok (it kept working) or sends its own connection.close (it refused
     * something). If the broker falls silent it may be waiting for the rest of a frame, so we
     * send filler bytes; after that, silence is a hang.
     */
    private static Outcome play(RawAmqpClient c, byte[] mutated, Map<Integer, Integer> channelCloses) {
        c.send(RawAmqpClient.concat(mutated, CLIENT_CLOSE));
        boolean filled = false;
        while (true) {
            Optional<RawAmqpClient.RawFrame> next = c.pollFrame(QUIET);
            if (next.isEmpty()) {
                assertThat(filled).as("the broker fell silent although every frame was complete").isFalse();
                c.send(FILLER);
                filled = true;
                continue;
            }
            RawAmqpClient.RawFrame f = next.get();
            if (!f.isMethod()) {
                continue;
            }
            AmqpMethod m = f.method();
            if (m instanceof ChannelMethod.Close close) {
                assertThat(close.replyCode()).as("channel.close code (%s)", close.replyText()).isBetween(400, 599);
                channelCloses.merge(close.replyCode(), 1, Integer::sum);
            } else if (m instanceof ConnectionMethod.CloseOk) {
                assertThat(f.channel()).isZero();
                return new Outcome(filled ? "kept working after filler" : "kept working", 0);
            } else if (m instanceof ConnectionMethod.Close close) {
                assertThat(f.channel()).isZero();
                assertThat(close.replyCode()).as("connection.close code (%s)", close.replyText())
                        .isBetween(400, 599);
                assertThat(close.replyCode()).as("internal error: %s", close.replyText()).isNotEqualTo(541);
                return new Outcome("closed", close.replyCode());
            }
        }
    }

    private static void expectAllClosed(List<RawAmqpClient> clients) {
        for (RawAmqpClient c : clients) {
            c.expectClosedByBroker(RawAmqpClient.READ_TIMEOUT);
            c.close();
        }
        clients.clear();
    }

    // ---- the session and its mutations ----

    /**
     * A session touching most of what a client does, on channels 1 (already open) and 2, as
     * one encoded frame per element.
     */
    private static List<byte[]> validSession(int n) {
        String q = String.format("fuzz-q-%04d", n);
        String x = String.format("fuzz-x-%04d", n);
        Map<String, Object> queueArgs = new LinkedHashMap<>();
        queueArgs.put("x-max-length", 100L);
        queueArgs.put("x-message-ttl", 60_000);
        queueArgs.put("note", "fuzz");
        Map<String, Object> headers = new LinkedHashMap<>();
        headers.put("CC", List.of(q));
        headers.put("attempt", 3);
        headers.put("flag", true);
        headers.put("nested", Map.of("k", "v"));
        byte[] properties = new MessageProperties.Builder()
                .contentType("text/plain").headers(headers).deliveryMode(2).priority(1).messageId("m-1").build().raw();
        byte[] body = "the quick brown fox jumps over the lazy dog".getBytes(StandardCharsets.UTF_8);

        List<byte[]> frames = new ArrayList<>();
        frames.add(method(2, new ChannelMethod.Open()));
        frames.add(method(1, new QueueMethod.Declare(q, false, false, true, true, false, queueArgs)));
        frames.add(method(1, new ExchangeMethod.Declare(x, "topic", false, false, true, false, false, Map.of())));
        frames.add(method(1, new QueueMethod.Bind(q, x, "a.#", false, Map.of())));
        frames.add(method(2, new ConfirmMethod.Select(false)));
        frames.add(method(1, new BasicMethod.Publish(x, "a.b", false, false)));
        frames.add(header(1, body.length, properties));
        frames.add(RawAmqpClient.frame(Frame.BODY, 1, Arrays.copyOf(body, 20)));
        frames.add(RawAmqpClient.frame(Frame.BODY, 1, Arrays.copyOfRange(body, 20, body.length)));
        frames.add(method(2, new BasicMethod.Publish("", q, true, false)));
        frames.add(header(2, 5, RawAmqpClient.NO_PROPERTIES));
        frames.add(RawAmqpClient.frame(Frame.BODY, 2, "hello".getBytes(StandardCharsets.UTF_8)));
        frames.add(RawAmqpClient.frame(Frame.HEARTBEAT, 0, new byte[0]));
        frames.add(method(1, new BasicMethod.Qos(0, 5, false)));
        frames.add(method(1, new BasicMethod.Get(q, false)));
        frames.add(method(1, new BasicMethod.Consume(q, "ctag", false, false, false, false, Map.of())));
        frames.add(method(1, new BasicMethod.Ack(0, true)));
        frames.add(method(1, new BasicMethod.Cancel("ctag", false)));
        frames.add(method(1, new TxMethod.Select()));
        frames.add(method(1, new BasicMethod.Publish("", q, false, false)));
        frames.add(header(1, 0, RawAmqpClient.NO_PROPERTIES));
        frames.add(method(1, new TxMethod.Commit()));
        frames.add(method(1, new QueueMethod.Purge(q, false)));
        frames.add(method(1, new QueueMethod.Unbind(q, x, "a.#", Map.of())));
        frames.add(method(2, new ChannelMethod.Close(200, "done", 0, 0)));
        return frames;
    }

    private static byte[] method(int channel, AmqpMethod m) {
        return RawAmqpClient.bytes(buf -> FrameWriter.method(buf, channel, m));
    }

    private static byte[] header(int channel, long bodySize, byte[] properties) {
        return RawAmqpClient.frame(Frame.HEADER, channel, RawAmqpClient.bytes((ByteBuf buf) -> {
            buf.writeShort(60);
            buf.writeShort(0);
            buf.writeLong(bodySize);
            buf.writeBytes(properties);
        }));
    }

    private static final int[] INTERESTING = {0x00, 0x01, 0x7F, 0x80, 0xFF, 0xCE, 'A', 'F', 'S', 'V', 'Z'};

    /**
     * Edits the payload of one frame and frames it again with the right size and end octet,
     * so the edit gets past framing and reaches method, header and content handling.
     */
    private static byte[] mutateOnePayload(List<byte[]> frames, Random r, List<String> log) {
        int which = r.nextInt(frames.size());
        byte[] frame = frames.get(which);
        byte[] payload = Arrays.copyOfRange(frame, 7, frame.length - 1);
        int channel = (frame[1] & 0xFF) << 8 | frame[2] & 0xFF;
        log.add("payload of frame " + which);
        byte[] edited = payload.length == 0 ? new byte[] {(byte) r.nextInt(256)} : mutateBytes(payload, r, log);
        List<byte[]> all = new ArrayList<>(frames);
        all.set(which, RawAmqpClient.frame(frame[0], channel, edited));
        return RawAmqpClient.concat(all.toArray(byte[][]::new));
    }

    /** One to three random edits; each is described in {@code log} for the failure message. */
    private static byte[] mutateBytes(byte[] in, Random r, List<String> log) {
        byte[] b = in;
        int edits = 1 + r.nextInt(3);
        for (int e = 0; e < edits; e++) {
            int at = r.nextInt(b.length);
            switch (r.nextInt(5)) {
                case 0 -> {
                    int bit = r.nextInt(8);
                    b = b.clone();
                    b[at] ^= (byte) (1 << bit);
                    log.add("flip bit " + bit + " at " + at);
                }
                case 1 -> {
                    int v = r.nextBoolean() ? INTERESTING[r.nextInt(INTERESTING.length)] : r.nextInt(256);
                    b = b.clone();
                    b[at] = (byte) v;
                    log.add(String.format("set %d to 0x%02X", at, v));
                }
                case 2 -> {
                    byte[] extra = new byte[1 + r.nextInt(8)];
                    r.nextBytes(extra);
                    b = RawAmqpClient.concat(Arrays.copyOf(b, at), extra,
                            Arrays.copyOfRange(b, at, b.length));
                    log.add("insert " + extra.length + " at " + at);
                }
                case 3 -> {
                    int n = Math.min(1 + r.nextInt(8), b.length - at);
                    b = RawAmqpClient.concat(Arrays.copyOf(b, at),
                            Arrays.copyOfRange(b, at + n, b.length));
                    log.add("delete " + n + " at " + at);
                }
                default -> {
                    // Cut the session short: the broker must cope with whatever frame is half sent.
                    b = Arrays.copyOf(b, at);
                    log.add("truncate at " + at);
                }
            }
            if (b.length == 0) {
                break;
            }
        }
        return b;
    }
}
