package io.spool.broker.amqp;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;
import io.spool.broker.amqp.method.AmqpMethod;
import io.spool.broker.amqp.method.MethodDecoder;
import io.spool.broker.amqp.method.MethodNames;
import io.spool.broker.model.ErrorKind;
import io.spool.broker.model.FieldTable;
import java.util.List;

/**
 * Turns bytes into {@link Frame}s and does nothing else: first the 8-byte protocol header, then
 * frames of {@code type, channel, size, payload, 0xCE}. It checks only what framing can check
 * (sizes, end octet, frame type, method arguments that decode); every protocol rule lives in
 * the connection. After the first malformed frame it emits {@link Frame.Malformed} and discards
 * everything that follows.
 *
 * <p>Thread: the connection's event loop.
 */
public final class FrameDecoder extends ByteToMessageDecoder {

    static final byte[] PROTOCOL_HEADER = {'A', 'M', 'Q', 'P', 0, 0, 9, 1};

    private boolean headerSeen;
    private boolean failed;
    private long frameMax;

    public FrameDecoder(long frameMax) {
        this.frameMax = frameMax;
    }

    /** The largest frame (including overhead) accepted from now on, after tuning. */
    public void frameMax(long max) {
        this.frameMax = max;
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
        if (failed) {
            in.skipBytes(in.readableBytes());
            return;
        }
        if (!headerSeen) {
            if (in.readableBytes() < PROTOCOL_HEADER.length) {
                if (!prefixMatches(in)) {
                    failed = true;
                    in.skipBytes(in.readableBytes());
                    out.add(new Frame.ProtocolHeader(false));
                }
                return;
            }
            boolean ok = prefixMatches(in);
            in.skipBytes(PROTOCOL_HEADER.length);
            if (!ok) {
                failed = true;
                in.skipBytes(in.readableBytes());
                out.add(new Frame.ProtocolHeader(false));
                return;
            }
            headerSeen = true;
            out.add(new Frame.ProtocolHeader(true));
        }
        while (!failed && in.readableBytes() >= 7) {
            int start = in.readerIndex();
            int type = in.getUnsignedByte(start);
            int channel = in.getUnsignedShort(start + 1);
            long size = in.getUnsignedInt(start + 3);
            if (size + Frame.OVERHEAD > frameMax) {
                // frameMax counts the 8 bytes of framing; the client thinks of frame_max without them.
                fail(in, out, ErrorKind.FRAME_ERROR, "type " + type + " frame payload of " + size
                        + " bytes is larger than the " + (frameMax - Frame.OVERHEAD) + " bytes frame_max allows", 0, 0);
                return;
            }
            if (in.readableBytes() < size + Frame.OVERHEAD) {
                return;
            }
            int payloadAt = start + 7;
            int end = in.getUnsignedByte(payloadAt + (int) size);
            if (end != Frame.FRAME_END) {
                fail(in, out, ErrorKind.FRAME_ERROR, String.format(
                        "frame end octet was 0x%02X instead of 0xCE (type %d frame on channel %d, size %d)",
                        end, type, channel, size), 0, 0);
                return;
            }
            ByteBuf payload = in.slice(payloadAt, (int) size);
            Frame frame = switch (type) {
                case Frame.METHOD -> method(channel, payload);
                case Frame.HEADER -> header(channel, payload);
                case Frame.BODY -> new Frame.ContentBody(channel, in.retainedSlice(payloadAt, (int) size));
                case Frame.HEARTBEAT -> new Frame.Heartbeat(channel);
                default -> new Frame.Malformed(ErrorKind.FRAME_ERROR, "unknown frame type " + type, 0, 0);
            };
            in.readerIndex(payloadAt + (int) size + 1);
            if (frame instanceof Frame.Malformed) {
                failed = true;
                in.skipBytes(in.readableBytes());
            }
            out.add(frame);
        }
    }

    private static boolean prefixMatches(ByteBuf in) {
        int n = Math.min(in.readableBytes(), PROTOCOL_HEADER.length);
        for (int i = 0; i < n; i++) {
            if (in.getByte(in.readerIndex() + i) != PROTOCOL_HEADER[i]) {
                return false;
            }
        }
        return true;
    }

    private void fail(ByteBuf in, List<Object> out, ErrorKind kind, String text, int classId, int methodId) {
        failed = true;
        in.skipBytes(in.readableBytes());
        out.add(new Frame.Malformed(kind, text, classId, methodId));
    }

    private static Frame method(int channel, ByteBuf payload) {
        if (payload.readableBytes() < 4) {
            return new Frame.Malformed(ErrorKind.FRAME_ERROR,
                    "method frame of " + payload.readableBytes() + " bytes is too short for class and method ids",
                    0, 0);
        }
        int classId = payload.readUnsignedShort();
        int methodId = payload.readUnsignedShort();
        AmqpMethod method;
        try {
            method = MethodDecoder.decode(classId, methodId, payload);
        } catch (IndexOutOfBoundsException | FieldTable.MalformedTableException e) {
            String why = e instanceof FieldTable.MalformedTableException ? ": " + e.getMessage() : ": arguments truncated";
            return new Frame.Malformed(ErrorKind.FRAME_ERROR,
                    "cannot decode " + MethodNames.of(classId, methodId) + why, classId, methodId);
        }
        if (method == null) {
            // RabbitMQ drops the socket without a word here; a 540 tells the client why.
            return new Frame.Malformed(ErrorKind.NOT_IMPLEMENTED,
                    MethodNames.of(classId, methodId) + " is not a method of AMQP 0-9-1", classId, methodId);
        }
        return new Frame.MethodFrame(channel, method);
    }

    private static Frame header(int channel, ByteBuf payload) {
        if (payload.readableBytes() < 14) {
            return new Frame.Malformed(ErrorKind.FRAME_ERROR,
                    "content header frame of " + payload.readableBytes() + " bytes is too short", 0, 0);
        }
        int classId = payload.readUnsignedShort();
        payload.skipBytes(2);
        long bodySize = payload.readLong();
        if (bodySize < 0) {
            return new Frame.Malformed(ErrorKind.FRAME_ERROR, "content header declares a negative body size", 0, 0);
        }
        byte[] properties = new byte[payload.readableBytes()];
        payload.readBytes(properties);
        return new Frame.ContentHeader(channel, classId, bodySize, properties);
    }
}
