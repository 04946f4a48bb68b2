package io.spool.broker.amqp;

import io.netty.buffer.ByteBuf;
import io.spool.broker.amqp.method.AmqpMethod;
import io.spool.broker.model.Message;

/**
 * Writes frames into a buffer: methods, content (header plus body split by frame_max) and
 * heartbeats. Stateless.
 */
public final class FrameWriter {

    private FrameWriter() {}

    public static void method(ByteBuf out, int channel, AmqpMethod method) {
        int start = out.writerIndex();
        out.writeByte(Frame.METHOD);
        out.writeShort(channel);
        out.writeInt(0);
        out.writeShort(method.classId());
        out.writeShort(method.methodId());
        method.encodeArguments(out);
        out.setInt(start + 3, out.writerIndex() - start - 7);
        out.writeByte(Frame.FRAME_END);
    }

    /** Writes a content-bearing method followed by its content header and body frames. */
    public static void methodWithContent(ByteBuf out, int channel, AmqpMethod method, Message message,
                                         long frameMax) {
        method(out, channel, method);
        content(out, channel, message.properties().raw(), message.body(), frameMax);
    }

    /**
     * Writes a basic.deliver with its content: the hot path of every delivery, written straight
     * from the bytes the message and consumer already hold.
     */
    public static void delivery(ByteBuf out, int channel, byte[] consumerTag, long deliveryTag, boolean redelivered,
                                Message message, long frameMax) {
        int start = out.writerIndex();
        out.writeByte(Frame.METHOD);
        out.writeShort(channel);
        out.writeInt(0);
        out.writeShort(60);
        out.writeShort(60);
        out.writeByte(consumerTag.length);
        out.writeBytes(consumerTag);
        out.writeLong(deliveryTag);
        out.writeByte(redelivered ? 1 : 0);
        byte[] exchange = message.exchangeUtf8();
        out.writeByte(exchange.length);
        out.writeBytes(exchange);
        byte[] key = message.routingKeyUtf8();
        out.writeByte(key.length);
        out.writeBytes(key);
        out.setInt(start + 3, out.writerIndex() - start - 7);
        out.writeByte(Frame.FRAME_END);
        content(out, channel, message.properties().raw(), message.body(), frameMax);
    }

    public static void content(ByteBuf out, int channel, byte[] properties, byte[] body, long frameMax) {
        out.writeByte(Frame.HEADER);
        out.writeShort(channel);
        out.writeInt(12 + properties.length);
        out.writeShort(60);
        out.writeShort(0);
        out.writeLong(body.length);
        out.writeBytes(properties);
        out.writeByte(Frame.FRAME_END);
        int maxPayload = (int) Math.min(Integer.MAX_VALUE, frameMax - Frame.OVERHEAD);
        int offset = 0;
        while (offset < body.length) {
            int n = Math.min(maxPayload, body.length - offset);
            out.writeByte(Frame.BODY);
            out.writeShort(channel);
            out.writeInt(n);
            out.writeBytes(body, offset, n);
            out.writeByte(Frame.FRAME_END);
            offset += n;
        }
    }

    /** Upper bound of the bytes {@link #content} writes for a message, to size buffers. */
    public static int contentSize(Message message, long frameMax) {
        int maxPayload = (int) Math.min(Integer.MAX_VALUE, frameMax - Frame.OVERHEAD);
        int bodyFrames = (message.body().length + maxPayload - 1) / maxPayload;
        return Frame.OVERHEAD + 12 + message.properties().raw().length
                + bodyFrames * Frame.OVERHEAD + message.body().length;
    }

    public static void heartbeat(ByteBuf out) {
        out.writeByte(Frame.HEARTBEAT);
        out.writeShort(0);
        out.writeInt(0);
        out.writeByte(Frame.FRAME_END);
    }
}
