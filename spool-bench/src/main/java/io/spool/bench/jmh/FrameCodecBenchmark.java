package io.spool.bench.jmh;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.util.ReferenceCountUtil;
import io.spool.broker.amqp.Frame;
import io.spool.broker.amqp.FrameDecoder;
import io.spool.broker.amqp.FrameWriter;
import io.spool.broker.amqp.method.BasicMethod;
import io.spool.broker.model.Message;
import io.spool.broker.model.MessageProperties;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The AMQP codec on the publish and deliver paths, without sockets: {@link FrameDecoder} turning
 * bytes into frames (a {@code basic.publish} method, a content header with persistent
 * properties, one body frame per message), and {@link FrameWriter#methodWithContent} writing a
 * {@code basic.deliver} with its content. One operation is one message (three frames).
 *
 * <pre>
 *   spool-bench/jmh FrameCodec
 * </pre>
 *
 * <p>Threads: one benchmark thread; the decoder runs in an {@link EmbeddedChannel} on it.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
// Netty as bin/spool runs the broker: no leak tracking, no per-access check of released buffers.
@Fork(value = 1, jvmArgsAppend = {"-Xmx512m", "-Dio.netty.leakDetection.level=disabled",
        "-Dio.netty.buffer.checkAccessible=false"})
public class FrameCodecBenchmark {

    /** Messages per decoded buffer, as a busy publisher's socket read would hold several. */
    static final int MESSAGES_PER_READ = 64;
    private static final long FRAME_MAX = 131_072;
    private static final int CHANNEL = 1;

    @Param({"16", "1024"})
    public int bodySize;

    private EmbeddedChannel decoding;
    private ByteBuf publishes;
    private ByteBuf out;
    private Message message;
    private BasicMethod.Deliver deliver;

    @Setup(Level.Trial)
    public void prepare() {
        MessageProperties persistent = new MessageProperties.Builder().deliveryMode(2).build();
        message = new Message("", "bench-queue", persistent, new byte[bodySize]);
        deliver = new BasicMethod.Deliver("amq.ctag-bench", 1, false, "", "bench-queue");

        publishes = Unpooled.directBuffer(MESSAGES_PER_READ * (bodySize + 128));
        BasicMethod.Publish publish = new BasicMethod.Publish("", "bench-queue", false, false);
        for (int i = 0; i < MESSAGES_PER_READ; i++) {
            FrameWriter.method(publishes, CHANNEL, publish);
            FrameWriter.content(publishes, CHANNEL, persistent.raw(), message.body(), FRAME_MAX);
        }

        decoding = new EmbeddedChannel(new FrameDecoder(FRAME_MAX));
        decoding.writeInbound(Unpooled.wrappedBuffer(new byte[] {'A', 'M', 'Q', 'P', 0, 0, 9, 1}));
        Object header = decoding.readInbound();
        if (!(header instanceof Frame.ProtocolHeader h) || !h.supported()) {
            throw new IllegalStateException("decoder refused the protocol header: " + header);
        }
        out = PooledByteBufAllocator.DEFAULT.directBuffer(FrameWriter.contentSize(message, FRAME_MAX) + 256);
    }

    /** Decodes one read's worth of publishes; returns the frames, released as a handler would. */
    @Benchmark
    @OperationsPerInvocation(MESSAGES_PER_READ)
    public int decodePublishes() {
        decoding.writeInbound(publishes.retainedDuplicate());
        int frames = 0;
        Object f;
        while ((f = decoding.readInbound()) != null) {
            ReferenceCountUtil.release(f);
            frames++;
        }
        if (frames != 3 * MESSAGES_PER_READ) {
            throw new IllegalStateException("decoded " + frames + " frames");
        }
        return frames;
    }

    /** Encodes one delivery: method, content header and body frames. */
    @Benchmark
    public int encodeDelivery() {
        out.clear();
        FrameWriter.methodWithContent(out, CHANNEL, deliver, message, FRAME_MAX);
        return out.writerIndex();
    }

    @TearDown(Level.Trial)
    public void release() {
        decoding.finishAndReleaseAll();
        publishes.release();
        out.release();
    }
}
