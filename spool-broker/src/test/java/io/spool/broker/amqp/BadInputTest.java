package io.spool.broker.amqp;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.spool.broker.amqp.method.BasicMethod;
import io.spool.broker.amqp.method.ChannelMethod;
import io.spool.broker.amqp.method.ConnectionMethod;
import io.spool.broker.amqp.method.QueueMethod;
import io.spool.broker.amqp.method.Wire;
import io.spool.broker.testing.Bystander;
import io.spool.broker.testing.TestBroker;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Bytes no real client sends, written straight to the socket. Each test reads like the
 * transcript of one bad session: the broker must answer with the reply code the spec (and
 * RabbitMQ) gives, name the problem in the text, and close the connection itself, while a
 * well-behaved client on another connection keeps publishing and consuming.
 */
class BadInputTest {

    private static final long MAX_MESSAGE_SIZE = 1024;
    private static final long HANDSHAKE_TIMEOUT_MILLIS = 1_500;

    @RegisterExtension
    final TestBroker broker = new TestBroker(b -> b
            .maxMessageSize(MAX_MESSAGE_SIZE)
            .handshakeTimeoutMillis(HANDSHAKE_TIMEOUT_MILLIS));

    private Bystander bystander;

    @BeforeEach
    void bystanderJoins() throws Exception {
        bystander = Bystander.join(broker);
    }

    @AfterEach
    void bystanderWasNotDisturbed() throws Exception {
        bystander.assertStillServed();
    }

    private RawAmqpClient openWithChannel() {
        return RawAmqpClient.open(broker.port()).openChannel(1);
    }

    // ---- framing ----

    @Test
    void wrongFrameEndOctet() throws Exception {
        try (RawAmqpClient c = openWithChannel()) {
            byte[] frame = RawAmqpClient.frame(Frame.METHOD, 1, RawAmqpClient.bytes(buf -> {
                buf.writeShort(60);
                buf.writeShort(40);
                new BasicMethod.Publish("", "q", false, false).encodeArguments(buf);
            }));
            frame[frame.length - 1] = (byte) 0xCD;
            c.send(frame);

            ConnectionMethod.Close close = c.expectConnectionClose();
            assertThat(close.replyCode()).isEqualTo(501);
            assertThat(close.replyText()).startsWith("FRAME_ERROR - ").contains("frame end octet was 0xCD");
            c.acknowledgeCloseAndExpectEof();
        }
        bystander.assertStillServed();
    }

    @Test
    void frameLargerThanNegotiatedFrameMax() throws Exception {
        try (RawAmqpClient c = RawAmqpClient.open(broker.port(), 4096, 0).openChannel(1)) {
            c.sendMethod(1, new BasicMethod.Publish("", "q", false, false));
            c.sendHeader(1, 1000, RawAmqpClient.NO_PROPERTIES);
            // Up to frame_max payload bytes are tolerated, as in RabbitMQ; one more is not.
            c.sendBody(1, new byte[4097]);

            ConnectionMethod.Close close = c.expectConnectionClose();
            assertThat(close.replyCode()).isEqualTo(501);
            assertThat(close.replyText()).isEqualTo(
                    "FRAME_ERROR - type 3 frame payload of 4097 bytes is larger than the 4096 bytes frame_max allows");
            c.acknowledgeCloseAndExpectEof();
        }
        bystander.assertStillServed();
    }

    @Test
    void frameHeaderAnnouncingHugeSizeIsRefusedBeforeItsPayloadArrives() throws Exception {
        try (RawAmqpClient c = openWithChannel()) {
            // Only the 7-byte frame header: the broker must not wait for 2 GiB.
            c.send(new byte[] {Frame.BODY, 0, 1, 0x7F, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF});

            ConnectionMethod.Close close = c.expectConnectionClose();
            assertThat(close.replyCode()).isEqualTo(501);
            assertThat(close.replyText()).contains("frame_max");
            c.acknowledgeCloseAndExpectEof();
        }
    }

    @Test
    void unknownFrameType() throws Exception {
        try (RawAmqpClient c = openWithChannel()) {
            c.sendFrame(9, 1, new byte[] {1, 2, 3});

            ConnectionMethod.Close close = c.expectConnectionClose();
            assertThat(close.replyCode()).isEqualTo(501);
            assertThat(close.replyText()).contains("unknown frame type 9");
            c.acknowledgeCloseAndExpectEof();
        }
    }

    @Test
    void truncatedMethodArgumentsInsideAWellFramedFrame() throws Exception {
        try (RawAmqpClient c = openWithChannel()) {
            // queue.declare: reserved short, queue name "orders", then nothing: flags and table are missing.
            c.sendMethodPayload(1, buf -> {
                buf.writeShort(50);
                buf.writeShort(10);
                buf.writeShort(0);
                Wire.shortStr(buf, "orders");
            });

            ConnectionMethod.Close close = c.expectConnectionClose();
            assertThat(close.replyCode()).isEqualTo(501);
            assertThat(close.replyText()).startsWith("FRAME_ERROR - ").contains("cannot decode queue.declare");
            assertThat(close.failingClassId()).isEqualTo(50);
            assertThat(close.failingMethodId()).isEqualTo(10);
            c.acknowledgeCloseAndExpectEof();
        }
        bystander.assertStillServed();
    }

    @Test
    void shortStringLongerThanTheFrame() throws Exception {
        try (RawAmqpClient c = openWithChannel()) {
            c.sendMethodPayload(1, buf -> {
                buf.writeShort(50);
                buf.writeShort(10);
                buf.writeShort(0);
                buf.writeByte(200);
                buf.writeBytes("short".getBytes(StandardCharsets.UTF_8));
            });

            ConnectionMethod.Close close = c.expectConnectionClose();
            assertThat(close.replyCode()).isEqualTo(501);
            assertThat(close.replyText()).contains("cannot decode queue.declare").contains("short string");
            c.acknowledgeCloseAndExpectEof();
        }
    }

    @Test
    void fieldTableWithUnknownTypeTagInMethodArguments() throws Exception {
        try (RawAmqpClient c = openWithChannel()) {
            c.sendMethodPayload(1, buf -> {
                buf.writeShort(50);
                buf.writeShort(10);
                new QueueMethod.Declare("orders", false, false, false, true, false, Map.of())
                        .encodeArguments(buf);
                replaceEmptyTableWithUnknownTag(buf);
            });

            ConnectionMethod.Close close = c.expectConnectionClose();
            assertThat(close.replyCode()).isEqualTo(501);
            assertThat(close.replyText()).startsWith("FRAME_ERROR - ").contains("unknown field type 'Z'");
            assertThat(close.failingClassId()).isEqualTo(50);
            assertThat(close.failingMethodId()).isEqualTo(10);
            c.acknowledgeCloseAndExpectEof();
        }
        bystander.assertStillServed();
    }

    @Test
    void fieldTableWithUnknownTypeTagInMessageHeaders() throws Exception {
        try (RawAmqpClient c = openWithChannel()) {
            byte[] body = "payload".getBytes(StandardCharsets.UTF_8);
            c.sendMethod(1, new BasicMethod.Publish("", "nowhere", false, false));
            c.sendHeader(1, body.length, RawAmqpClient.bytes(buf -> {
                buf.writeShort(1 << 13); // only the headers property is present
                buf.writeInt(0);
                replaceEmptyTableWithUnknownTag(buf);
            }));
            c.sendBody(1, body);

            ConnectionMethod.Close close = c.expectConnectionClose();
            assertThat(close.replyCode()).isEqualTo(501);
            assertThat(close.replyText()).startsWith("FRAME_ERROR - ").contains("unknown field type 'Z'");
            assertThat(close.failingClassId()).isEqualTo(60);
            assertThat(close.failingMethodId()).isEqualTo(40);
            c.acknowledgeCloseAndExpectEof();
        }
        bystander.assertStillServed();
    }

    @Test
    void truncatedContentHeaderProperties() throws Exception {
        try (RawAmqpClient c = openWithChannel()) {
            c.sendMethod(1, new BasicMethod.Publish("", "q", false, false));
            // The flags announce a content-type, but the frame ends there.
            c.sendHeader(1, 0, new byte[] {(byte) 0x80, 0});

            ConnectionMethod.Close close = c.expectConnectionClose();
            assertThat(close.replyCode()).isEqualTo(501);
            assertThat(close.replyText())
                    .isEqualTo("FRAME_ERROR - cannot decode content header properties: properties truncated");
            c.acknowledgeCloseAndExpectEof();
        }
    }

    @ParameterizedTest
    @ValueSource(chars = {'F', 'A'})
    void deeplyNestedTablesOrArrays(char tag) throws Exception {
        try (RawAmqpClient c = openWithChannel()) {
            int depth = 20_000;
            c.sendMethodPayload(1, buf -> {
                buf.writeShort(50);
                buf.writeShort(10);
                new QueueMethod.Declare("orders", false, false, false, true, false, Map.of())
                        .encodeArguments(buf);
                buf.writerIndex(buf.writerIndex() - 4);
                writeNested(buf, tag, depth);
            });

            ConnectionMethod.Close close = c.expectConnectionClose();
            assertThat(close.replyCode()).isEqualTo(501);
            assertThat(close.replyText()).startsWith("FRAME_ERROR - cannot decode queue.declare: ")
                    .contains("nested more than");
            c.acknowledgeCloseAndExpectEof();
        }
        bystander.assertStillServed();
    }

    /**
     * A table {@code {"": V}} where V nests {@code depth} tables ({@code {"": {"": ...}}}) or
     * arrays ({@code [[[...]]]}), written level by level with precomputed lengths.
     */
    private static void writeNested(ByteBuf buf, char tag, int depth) {
        int level = tag == 'F' ? 6 : 5; // length prefix, then the empty name (tables only) and the tag
        buf.writeInt(2 + level * (depth - 1) + 4);
        buf.writeByte(0);
        buf.writeByte(tag);
        for (int k = 1; k < depth; k++) {
            buf.writeInt(level * (depth - k));
            if (tag == 'F') {
                buf.writeByte(0);
            }
            buf.writeByte(tag);
        }
        buf.writeInt(0);
    }

    /** The buffer ends with an empty table; make it {@code {"k": <tag 'Z'> 1 2 3 4}}. */
    private static void replaceEmptyTableWithUnknownTag(ByteBuf buf) {
        buf.writerIndex(buf.writerIndex() - 4);
        buf.writeInt(7);
        Wire.shortStr(buf, "k");
        buf.writeByte('Z');
        buf.writeInt(0x01020304);
    }

    // ---- methods the protocol does not have ----

    @Test
    void unknownClassId() throws Exception {
        try (RawAmqpClient c = openWithChannel()) {
            c.sendMethodPayload(1, buf -> {
                buf.writeShort(99);
                buf.writeShort(10);
            });

            ConnectionMethod.Close close = c.expectConnectionClose();
            assertThat(close.replyCode()).isEqualTo(540);
            assertThat(close.replyText()).startsWith("NOT_IMPLEMENTED - ").contains("class 99");
            assertThat(close.failingClassId()).isEqualTo(99);
            assertThat(close.failingMethodId()).isEqualTo(10);
            c.acknowledgeCloseAndExpectEof();
        }
        bystander.assertStillServed();
    }

    @Test
    void unknownMethodIdOfAKnownClass() throws Exception {
        try (RawAmqpClient c = openWithChannel()) {
            c.sendMethodPayload(1, buf -> {
                buf.writeShort(60);
                buf.writeShort(999);
            });

            ConnectionMethod.Close close = c.expectConnectionClose();
            assertThat(close.replyCode()).isEqualTo(540);
            assertThat(close.replyText()).startsWith("NOT_IMPLEMENTED - ").contains("class 60, method 999");
            assertThat(close.failingClassId()).isEqualTo(60);
            assertThat(close.failingMethodId()).isEqualTo(999);
            c.acknowledgeCloseAndExpectEof();
        }
        bystander.assertStillServed();
    }

    // ---- content out of order ----

    @Test
    void bodyFrameBeforeAnyPublish() throws Exception {
        try (RawAmqpClient c = openWithChannel()) {
            c.sendBody(1, "stray".getBytes(StandardCharsets.UTF_8));

            ConnectionMethod.Close close = c.expectConnectionClose();
            assertThat(close.replyCode()).isEqualTo(505);
            assertThat(close.replyText())
                    .isEqualTo("UNEXPECTED_FRAME - expected method frame, got non method frame instead");
            c.acknowledgeCloseAndExpectEof();
        }
        bystander.assertStillServed();
    }

    @Test
    void bodyFrameRightAfterPublishWithoutHeader() throws Exception {
        try (RawAmqpClient c = openWithChannel()) {
            c.sendMethod(1, new BasicMethod.Publish("", "q", false, false));
            c.sendBody(1, "no header".getBytes(StandardCharsets.UTF_8));

            ConnectionMethod.Close close = c.expectConnectionClose();
            assertThat(close.replyCode()).isEqualTo(505);
            assertThat(close.replyText()).isEqualTo(
                    "UNEXPECTED_FRAME - expected content header for class 60, got non content header frame instead");
            assertThat(close.failingClassId()).isEqualTo(60);
            assertThat(close.failingMethodId()).isEqualTo(40);
            c.acknowledgeCloseAndExpectEof();
        }
        bystander.assertStillServed();
    }

    @Test
    void methodFrameWhileBodyFramesAreExpected() throws Exception {
        try (RawAmqpClient c = openWithChannel()) {
            c.sendMethod(1, new BasicMethod.Publish("", "q", false, false));
            c.sendHeader(1, 10, RawAmqpClient.NO_PROPERTIES);
            c.sendBody(1, "12345".getBytes(StandardCharsets.UTF_8));
            c.sendMethod(1, new BasicMethod.Publish("", "q", false, false));

            ConnectionMethod.Close close = c.expectConnectionClose();
            assertThat(close.replyCode()).isEqualTo(505);
            assertThat(close.replyText())
                    .isEqualTo("UNEXPECTED_FRAME - expected content body, got non content body frame instead");
            c.acknowledgeCloseAndExpectEof();
        }
        bystander.assertStillServed();
    }

    @Test
    void bodyLongerThanTheDeclaredSize() throws Exception {
        try (RawAmqpClient c = openWithChannel()) {
            c.sendMethod(1, new BasicMethod.Publish("", "q", false, false));
            c.sendHeader(1, 4, RawAmqpClient.NO_PROPERTIES);
            c.sendBody(1, "longer than four".getBytes(StandardCharsets.UTF_8));

            ConnectionMethod.Close close = c.expectConnectionClose();
            assertThat(close.replyCode()).isEqualTo(501);
            assertThat(close.replyText())
                    .isEqualTo("FRAME_ERROR - content body frame exceeds remaining content size");
            c.acknowledgeCloseAndExpectEof();
        }
        bystander.assertStillServed();
    }

    @Test
    void contentHeaderOnChannelZero() throws Exception {
        try (RawAmqpClient c = RawAmqpClient.open(broker.port())) {
            c.sendHeader(0, 1, RawAmqpClient.NO_PROPERTIES);

            ConnectionMethod.Close close = c.expectConnectionClose();
            assertThat(close.replyCode()).isEqualTo(505);
            assertThat(close.replyText()).contains("channel 0");
            c.acknowledgeCloseAndExpectEof();
        }
    }

    @Test
    void heartbeatOnANonZeroChannel() throws Exception {
        try (RawAmqpClient c = openWithChannel()) {
            c.sendHeartbeat(1);

            ConnectionMethod.Close close = c.expectConnectionClose();
            assertThat(close.replyCode()).isEqualTo(505);
            assertThat(close.replyText()).startsWith("UNEXPECTED_FRAME - ").contains("heartbeat").contains("channel 1");
            c.acknowledgeCloseAndExpectEof();
        }
        bystander.assertStillServed();
    }

    // ---- channels ----

    @Test
    void methodOnAChannelNeverOpened() throws Exception {
        try (RawAmqpClient c = openWithChannel()) {
            c.sendMethod(7, new QueueMethod.Declare("orders", false, false, false, false, false, Map.of()));

            ConnectionMethod.Close close = c.expectConnectionClose();
            assertThat(close.replyCode()).isEqualTo(504);
            assertThat(close.replyText()).isEqualTo("CHANNEL_ERROR - expected 'channel.open'");
            assertThat(close.failingClassId()).isEqualTo(50);
            assertThat(close.failingMethodId()).isEqualTo(10);
            c.acknowledgeCloseAndExpectEof();
        }
        bystander.assertStillServed();
    }

    @Test
    void channelOpenedTwice() throws Exception {
        try (RawAmqpClient c = openWithChannel()) {
            c.sendMethod(1, new ChannelMethod.Open());

            ConnectionMethod.Close close = c.expectConnectionClose();
            assertThat(close.replyCode()).isEqualTo(504);
            assertThat(close.replyText()).isEqualTo("CHANNEL_ERROR - second 'channel.open' seen");
            assertThat(close.failingClassId()).isEqualTo(20);
            assertThat(close.failingMethodId()).isEqualTo(10);
            c.acknowledgeCloseAndExpectEof();
        }
        bystander.assertStillServed();
    }

    // ---- message size ----

    @Test
    void oversizedMessageClosesOnlyTheChannel() throws Exception {
        try (RawAmqpClient c = openWithChannel()) {
            byte[] big = new byte[(int) MAX_MESSAGE_SIZE + 1];
            c.sendMethod(1, new BasicMethod.Publish("", "q", false, false));
            c.sendHeader(1, big.length, RawAmqpClient.NO_PROPERTIES);
            c.sendBody(1, big);

            ChannelMethod.Close close = c.expectChannelClose(1);
            assertThat(close.replyCode()).isEqualTo(406);
            assertThat(close.replyText()).isEqualTo("PRECONDITION_FAILED - message size " + big.length
                    + " is larger than configured max size " + MAX_MESSAGE_SIZE);
            assertThat(close.failingClassId()).isEqualTo(60);
            assertThat(close.failingMethodId()).isEqualTo(40);
            c.sendMethod(1, new ChannelMethod.CloseOk());

            // The connection is still good: the channel number can be reused and a message
            // within the limit goes through.
            c.openChannel(1);
            c.sendMethod(1, new QueueMethod.Declare("", false, false, true, true, false, Map.of()));
            String queue = c.expect(QueueMethod.DeclareOk.class).queue();
            byte[] small = "fits".getBytes(StandardCharsets.UTF_8);
            c.sendMethod(1, new BasicMethod.Publish("", queue, false, false));
            c.sendHeader(1, small.length, RawAmqpClient.NO_PROPERTIES);
            c.sendBody(1, small);
            c.sendMethod(1, new BasicMethod.Get(queue, true));
            c.expect(BasicMethod.GetOk.class);
            assertThat(c.nextFrame().type()).isEqualTo(Frame.HEADER);
            assertThat(c.nextFrame().payload()).isEqualTo(small);

            c.sendMethod(0, new ConnectionMethod.Close(200, "bye", 0, 0));
            c.expect(ConnectionMethod.CloseOk.class);
            c.expectClosedByBroker(RawAmqpClient.READ_TIMEOUT);
        }
        bystander.assertStillServed();
    }

    // ---- the protocol header and the handshake ----

    @Test
    void garbageRightAfterAValidProtocolHeader() throws Exception {
        try (RawAmqpClient c = RawAmqpClient.connect(broker.port())) {
            c.send(RawAmqpClient.concat(RawAmqpClient.PROTOCOL_HEADER,
                    "this is not an AMQP frame at all".getBytes(StandardCharsets.UTF_8)));

            c.expect(ConnectionMethod.Start.class);
            ConnectionMethod.Close close = c.expectConnectionClose();
            assertThat(close.replyCode()).isEqualTo(501);
            assertThat(close.replyText()).startsWith("FRAME_ERROR - ");
            c.acknowledgeCloseAndExpectEof();
        }
        bystander.assertStillServed();
    }

    @ParameterizedTest
    @ValueSource(strings = {"AMQP\u0000\u0000\u0009\u0002", "AMQP\u0001\u0001\u0000\u0009", "AMQP\u0003\u0001\u0000\u0000",
            "GET / HTTP/1.1\r\n\r\n", "XYZ"})
    void wrongProtocolHeaderGetsOursBackAndAClose(String header) throws Exception {
        try (RawAmqpClient c = RawAmqpClient.connect(broker.port())) {
            c.send(header.getBytes(StandardCharsets.ISO_8859_1));

            byte[] answer = c.readBytes(8);
            assertThat(answer).as(Arrays.toString(answer)).containsExactly('A', 'M', 'Q', 'P', 0, 0, 9, 1);
            c.expectEofNext();
        }
        bystander.assertStillServed();
    }

    @Test
    void clientStallingMidHandshakeIsDisconnected() throws Exception {
        try (RawAmqpClient c = RawAmqpClient.connect(broker.port())) {
            c.send(RawAmqpClient.PROTOCOL_HEADER);
            c.expect(ConnectionMethod.Start.class);
            // ... and never answers with start-ok.

            Duration took = c.expectClosedByBroker(Duration.ofMillis(HANDSHAKE_TIMEOUT_MILLIS + 3_000));
            // Closed by the handshake timer, not for some other reason right away.
            assertThat(took).isGreaterThan(Duration.ofMillis(HANDSHAKE_TIMEOUT_MILLIS - 500));
        }
        bystander.assertStillServed();
    }

    @Test
    void truncatedFrameFollowedByEofDoesNotHurtTheBroker() throws Exception {
        try (RawAmqpClient c = openWithChannel()) {
            byte[] frame = RawAmqpClient.frame(Frame.BODY, 1, new byte[100]);
            c.send(Arrays.copyOf(frame, 40));
            c.shutdownOutput();
            c.expectClosedByBroker(RawAmqpClient.READ_TIMEOUT);
        }
        bystander.assertStillServed();
        // A publisher after that works as ever.
        try (RawAmqpClient c = openWithChannel()) {
            c.sendMethod(1, new QueueMethod.Declare("", false, false, true, true, false, Map.of()));
            c.expect(QueueMethod.DeclareOk.class);
        }
    }

    @Test
    void clientIgnoringOurCloseIsDroppedAnyway() throws Exception {
        try (RawAmqpClient c = openWithChannel()) {
            c.sendMethod(1, new ChannelMethod.Open());
            assertThat(c.expectConnectionClose().replyCode()).isEqualTo(504);
            // No close-ok: the broker must not wait forever.
            c.expectClosedByBroker(Duration.ofSeconds(6));
        }
    }
}
