package io.spool.broker.amqp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.spool.broker.amqp.method.AmqpMethod;
import io.spool.broker.amqp.method.ChannelMethod;
import io.spool.broker.amqp.method.ConnectionMethod;
import io.spool.broker.amqp.method.MethodDecoder;
import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * An AMQP 0-9-1 client driven by hand over a plain socket, for tests that must send what a
 * real client never would. Every call is one step of a session, so a test reads like a
 * transcript: send the header, expect connection.start, send start-ok, ...
 *
 * <p>Reads block with a socket timeout and fail the test when it expires; nothing sleeps.
 * Frames are built with the broker's own {@link FrameWriter} and method records, and read
 * back with {@link MethodDecoder}. Not thread-safe: one test thread drives it.
 */
final class RawAmqpClient implements AutoCloseable {

    /** How long a read waits for the broker before the test fails. */
    static final Duration READ_TIMEOUT = Duration.ofSeconds(5);

    static final byte[] PROTOCOL_HEADER = {'A', 'M', 'Q', 'P', 0, 0, 9, 1};
    static final byte[] NO_PROPERTIES = {0, 0};

    /** A frame as it came off the wire; {@link #method()} decodes a method frame's payload. */
    record RawFrame(int type, int channel, byte[] payload) {
        boolean isMethod() {
            return type == Frame.METHOD;
        }

        boolean isHeartbeat() {
            return type == Frame.HEARTBEAT;
        }

        AmqpMethod method() {
            assertThat(type).as("frame type of %s", this).isEqualTo(Frame.METHOD);
            ByteBuf in = Unpooled.wrappedBuffer(payload);
            AmqpMethod m = MethodDecoder.decode(in.readUnsignedShort(), in.readUnsignedShort(), in);
            assertThat(m).as("a method the broker sent").isNotNull();
            return m;
        }

        @Override
        public String toString() {
            if (type == Frame.METHOD && payload.length >= 4) {
                ByteBuf in = Unpooled.wrappedBuffer(payload);
                AmqpMethod m = MethodDecoder.decode(in.readUnsignedShort(), in.readUnsignedShort(), in);
                return "method frame " + m + " on channel " + channel;
            }
            return "type " + type + " frame on channel " + channel + " (" + payload.length + " bytes)";
        }
    }

    private final Socket socket;
    private final DataInputStream in;
    private final OutputStream out;
    private int heartbeatsReceived;

    private RawAmqpClient(Socket socket) throws IOException {
        this.socket = socket;
        this.in = new DataInputStream(new BufferedInputStream(socket.getInputStream()));
        this.out = socket.getOutputStream();
        socket.setSoTimeout((int) READ_TIMEOUT.toMillis());
        socket.setTcpNoDelay(true);
    }

    /** A TCP connection to the broker; nothing is sent yet. */
    static RawAmqpClient connect(int port) {
        try {
            Socket s = new Socket();
            s.connect(new InetSocketAddress("127.0.0.1", port), (int) READ_TIMEOUT.toMillis());
            return new RawAmqpClient(s);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot connect to the broker on port " + port, e);
        }
    }

    /**
     * Connects and runs the whole handshake up to open-ok, with no heartbeats and the broker's
     * frame_max.
     */
    static RawAmqpClient open(int port) {
        return open(port, 0, 0);
    }

    /** Connects and runs the handshake, asking for the given frame_max (0: the broker's) and heartbeat. */
    static RawAmqpClient open(int port, long frameMax, int heartbeatSeconds) {
        RawAmqpClient c = connect(port);
        try {
            c.handshake(frameMax, heartbeatSeconds);
            return c;
        } catch (AssertionError | RuntimeException e) {
            c.close();
            throw e;
        }
    }

    // ---- the handshake ----

    /** Protocol header, start / start-ok (PLAIN guest), tune / tune-ok, open "/" / open-ok. */
    void handshake(long frameMax, int heartbeatSeconds) {
        send(PROTOCOL_HEADER);
        ConnectionMethod.Start start = expect(ConnectionMethod.Start.class);
        assertThat(start.mechanisms()).contains("PLAIN");
        sendMethod(0, new ConnectionMethod.StartOk(Map.of("product", "raw test client"), "PLAIN",
                "\0guest\0guest".getBytes(StandardCharsets.UTF_8), "en_US"));
        ConnectionMethod.Tune tune = expect(ConnectionMethod.Tune.class);
        sendMethod(0, new ConnectionMethod.TuneOk(tune.channelMax(), frameMax == 0 ? tune.frameMax() : frameMax,
                heartbeatSeconds));
        sendMethod(0, new ConnectionMethod.Open("/"));
        expect(ConnectionMethod.OpenOk.class);
    }

    RawAmqpClient openChannel(int channel) {
        sendMethod(channel, new ChannelMethod.Open());
        RawFrame f = nextFrame();
        assertThat(f.channel()).as("channel of the reply to channel.open").isEqualTo(channel);
        assertThat(f.method()).isInstanceOf(ChannelMethod.OpenOk.class);
        return this;
    }

    // ---- sending ----

    /** Sends bytes exactly as given. */
    void send(byte[] bytes) {
        try {
            out.write(bytes);
            out.flush();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot send to the broker", e);
        }
    }

    void sendMethod(int channel, AmqpMethod method) {
        send(bytes(buf -> FrameWriter.method(buf, channel, method)));
    }

    /** A method frame whose payload (class id, method id, arguments) is written by hand. */
    void sendMethodPayload(int channel, Consumer<ByteBuf> payload) {
        sendFrame(Frame.METHOD, channel, bytes(payload));
    }

    /** A content header for class 60 that announces {@code bodySize} bytes. */
    void sendHeader(int channel, long bodySize, byte[] properties) {
        sendFrame(Frame.HEADER, channel, bytes(buf -> {
            buf.writeShort(60);
            buf.writeShort(0);
            buf.writeLong(bodySize);
            buf.writeBytes(properties);
        }));
    }

    void sendBody(int channel, byte[] body) {
        sendFrame(Frame.BODY, channel, body);
    }

    void sendHeartbeat(int channel) {
        sendFrame(Frame.HEARTBEAT, channel, new byte[0]);
    }

    /** One well-formed frame: type, channel, size, payload, 0xCE. */
    void sendFrame(int type, int channel, byte[] payload) {
        send(frame(type, channel, payload));
    }

    static byte[] frame(int type, int channel, byte[] payload) {
        return bytes(buf -> {
            buf.writeByte(type);
            buf.writeShort(channel);
            buf.writeInt(payload.length);
            buf.writeBytes(payload);
            buf.writeByte(Frame.FRAME_END);
        });
    }

    /** The bytes a writer puts into a fresh buffer; the buffer is released. */
    static byte[] bytes(Consumer<ByteBuf> writer) {
        ByteBuf buf = Unpooled.buffer();
        try {
            writer.accept(buf);
            byte[] bytes = new byte[buf.readableBytes()];
            buf.readBytes(bytes);
            return bytes;
        } finally {
            buf.release();
        }
    }

    static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream all = new ByteArrayOutputStream();
        for (byte[] p : parts) {
            all.writeBytes(p);
        }
        return all.toByteArray();
    }

    // ---- receiving ----

    /** The next frame, heartbeats included; fails the test on timeout or EOF. */
    RawFrame readFrame() {
        try {
            int type = in.readUnsignedByte();
            int channel = in.readUnsignedShort();
            int size = in.readInt();
            assertThat(size).as("payload size of a frame from the broker").isBetween(0, 16 * 1024 * 1024);
            byte[] payload = new byte[size];
            in.readFully(payload);
            int end = in.readUnsignedByte();
            assertThat(end).as("frame end octet from the broker").isEqualTo(Frame.FRAME_END);
            if (type == Frame.HEARTBEAT) {
                heartbeatsReceived++;
            }
            return new RawFrame(type, channel, payload);
        } catch (SocketTimeoutException e) {
            return fail("the broker sent nothing within " + socketTimeout());
        } catch (EOFException e) {
            return fail("the broker closed the connection instead of sending a frame");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read from the broker", e);
        }
    }

    /** The next frame if one arrives within the given time, else empty. */
    Optional<RawFrame> pollFrame(Duration within) {
        try {
            socket.setSoTimeout((int) Math.max(1, within.toMillis()));
            in.mark(1);
            try {
                if (in.read() < 0) {
                    return fail("the broker closed the connection");
                }
            } catch (SocketTimeoutException e) {
                return Optional.empty();
            }
            in.reset();
            socket.setSoTimeout((int) READ_TIMEOUT.toMillis());
            return Optional.of(readFrame());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The next frame that is not a heartbeat. */
    RawFrame nextFrame() {
        RawFrame f;
        do {
            f = readFrame();
        } while (f.isHeartbeat());
        return f;
    }

    /** The next method, which must be of the given type. */
    <M extends AmqpMethod> M expect(Class<M> type) {
        AmqpMethod m = nextFrame().method();
        assertThat(m).isInstanceOf(type);
        return type.cast(m);
    }

    /** The broker's connection.close, on channel 0, skipping whatever the broker sent before it. */
    ConnectionMethod.Close expectConnectionClose() {
        while (true) {
            RawFrame f = nextFrame();
            if (f.isMethod() && f.method() instanceof ConnectionMethod.Close close) {
                assertThat(f.channel()).as("channel of connection.close").isZero();
                return close;
            }
        }
    }

    /** The broker's channel.close for the given channel, skipping what came before it. */
    ChannelMethod.Close expectChannelClose(int channel) {
        while (true) {
            RawFrame f = nextFrame();
            if (f.isMethod() && f.method() instanceof ChannelMethod.Close close) {
                assertThat(f.channel()).as("channel of channel.close").isEqualTo(channel);
                return close;
            }
            assertThat(f.isMethod() && f.method() instanceof ConnectionMethod.Close)
                    .as("the connection was closed instead of the channel: %s", f).isFalse();
        }
    }

    /** Heartbeat frames read so far (they are skipped by {@link #nextFrame}). */
    int heartbeatsReceived() {
        return heartbeatsReceived;
    }

    /**
     * Answers the broker's connection.close with close-ok, as a client should, then expects
     * the broker to close the socket. The broker may already have closed it after a framing
     * error (it cannot read our answer then), so a failed send is fine.
     */
    void acknowledgeCloseAndExpectEof() {
        try {
            out.write(frame(Frame.METHOD, 0, bytes(buf -> {
                buf.writeShort(10);
                buf.writeShort(51);
            })));
            out.flush();
        } catch (IOException e) {
            // closed already: what we expect next anyway
        }
        expectClosedByBroker(READ_TIMEOUT);
    }

    /**
     * Reads until the broker closes the socket, which must happen within the given time.
     * Frames arriving meanwhile (heartbeats, a close) are read and dropped. A reset counts as
     * closed: the broker dropped the connection either way.
     *
     * @return how long it took
     */
    Duration expectClosedByBroker(Duration within) {
        long started = System.nanoTime();
        long deadline = started + within.toNanos();
        byte[] scratch = new byte[4096];
        try {
            while (true) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return fail("the broker kept the connection open for more than " + within);
                }
                socket.setSoTimeout((int) Math.max(1, Duration.ofNanos(left).toMillis()));
                int n = in.read(scratch);
                if (n < 0) {
                    return Duration.ofNanos(System.nanoTime() - started);
                }
                countHeartbeats(scratch, n);
            }
        } catch (SocketTimeoutException e) {
            return fail("the broker kept the connection open for more than " + within);
        } catch (SocketException e) {
            return Duration.ofNanos(System.nanoTime() - started);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Counts heartbeat frames among dropped bytes; only exact when frames are whole, as in heartbeat tests. */
    private void countHeartbeats(byte[] bytes, int n) {
        for (int i = 0; i + 8 <= n; i++) {
            if (bytes[i] == Frame.HEARTBEAT && bytes[i + 1] == 0 && bytes[i + 2] == 0 && bytes[i + 3] == 0
                    && bytes[i + 4] == 0 && bytes[i + 5] == 0 && bytes[i + 6] == 0 && (bytes[i + 7] & 0xFF) == 0xCE) {
                heartbeatsReceived++;
                i += 7;
            }
        }
    }

    /** The broker closes the socket without sending another byte. */
    void expectEofNext() {
        try {
            assertThat(in.read()).as("next byte from the broker (-1: closed)").isEqualTo(-1);
        } catch (SocketTimeoutException e) {
            fail("the broker kept the connection open for more than " + socketTimeout());
        } catch (SocketException e) {
            // reset: closed all the same
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Reads exactly n bytes, whatever they are. */
    byte[] readBytes(int n) {
        try {
            byte[] b = new byte[n];
            in.readFully(b);
            return b;
        } catch (SocketTimeoutException e) {
            return fail("the broker sent nothing within " + socketTimeout());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private Duration socketTimeout() {
        try {
            return Duration.ofMillis(socket.getSoTimeout());
        } catch (SocketException e) {
            return READ_TIMEOUT;
        }
    }

    /** Half-closes our side: the broker reads EOF. */
    void shutdownOutput() {
        try {
            socket.shutdownOutput();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void close() {
        try {
            socket.close();
        } catch (IOException ignored) {
            // nothing to do in a test's cleanup
        }
    }
}
