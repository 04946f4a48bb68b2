package io.spool.broker.amqp;

import io.netty.buffer.ByteBuf;
import io.netty.util.ReferenceCounted;
import io.spool.broker.amqp.method.AmqpMethod;
import io.spool.broker.model.ErrorKind;

/**
 * What {@link FrameDecoder} turns bytes into: the protocol header's verdict, the four AMQP
 * frame types, or a framing error that ends the connection.
 */
public sealed interface Frame {

    /** Frame type octets of AMQP 0-9-1. */
    int METHOD = 1;
    int HEADER = 2;
    int BODY = 3;
    int HEARTBEAT = 8;
    int FRAME_END = 0xCE;
    /** Type, channel and size octets before a frame's payload, plus the end octet after it. */
    int OVERHEAD = 8;
    int MIN_FRAME_MAX = 4096;

    /** The client's 8-byte protocol header was read; {@code supported} says if it is AMQP 0-9-1. */
    record ProtocolHeader(boolean supported) implements Frame {}

    record MethodFrame(int channel, AmqpMethod method) implements Frame {}

    /** A content header: the class, the body size to expect and the encoded properties. */
    record ContentHeader(int channel, int classId, long bodySize, byte[] properties) implements Frame {}

    /** A piece of a content body; holds a retained slice that its receiver must release. */
    record ContentBody(int channel, ByteBuf payload) implements Frame, ReferenceCounted {
        public int refCnt() { return payload.refCnt(); }
        public ContentBody retain() { payload.retain(); return this; }
        public ContentBody retain(int n) { payload.retain(n); return this; }
        public ContentBody touch() { payload.touch(); return this; }
        public ContentBody touch(Object hint) { payload.touch(hint); return this; }
        public boolean release() { return payload.release(); }
        public boolean release(int n) { return payload.release(n); }
    }

    record Heartbeat(int channel) implements Frame {}

    /** Bytes that are not a valid frame; the decoder reads nothing after this. */
    record Malformed(ErrorKind kind, String text, int classId, int methodId) implements Frame {}
}
