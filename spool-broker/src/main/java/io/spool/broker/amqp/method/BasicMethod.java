package io.spool.broker.amqp.method;

import io.netty.buffer.ByteBuf;
import java.util.Map;

/** Methods of the AMQP {@code basic} class (id 60). */
public sealed interface BasicMethod extends AmqpMethod {

    int CLASS_ID = 60;

    @Override
    default int classId() {
        return CLASS_ID;
    }

    record Qos(long prefetchSize, int prefetchCount, boolean global) implements BasicMethod {
        public int methodId() { return 10; }
        public void encodeArguments(ByteBuf out) {
            out.writeInt((int) prefetchSize);
            out.writeShort(prefetchCount);
            out.writeByte(Wire.bits(global));
        }
        static Qos decode(ByteBuf in) {
            return new Qos(in.readUnsignedInt(), in.readUnsignedShort(), Wire.bit(in.readUnsignedByte(), 0));
        }
    }

    record QosOk() implements BasicMethod {
        public int methodId() { return 11; }
        public void encodeArguments(ByteBuf out) { }
    }

    record Consume(String queue, String consumerTag, boolean noLocal, boolean noAck, boolean exclusive,
                   boolean noWait, Map<String, Object> arguments) implements BasicMethod {
        public int methodId() { return 20; }
        public void encodeArguments(ByteBuf out) {
            out.writeShort(0);
            Wire.shortStr(out, queue);
            Wire.shortStr(out, consumerTag);
            out.writeByte(Wire.bits(noLocal, noAck, exclusive, noWait));
            Wire.table(out, arguments);
        }
        static Consume decode(ByteBuf in) {
            in.readUnsignedShort();
            String queue = Wire.shortStr(in);
            String tag = Wire.shortStr(in);
            int b = in.readUnsignedByte();
            return new Consume(queue, tag, Wire.bit(b, 0), Wire.bit(b, 1), Wire.bit(b, 2), Wire.bit(b, 3),
                    Wire.table(in));
        }
    }

    record ConsumeOk(String consumerTag) implements BasicMethod {
        public int methodId() { return 21; }
        public void encodeArguments(ByteBuf out) { Wire.shortStr(out, consumerTag); }
        static ConsumeOk decode(ByteBuf in) { return new ConsumeOk(Wire.shortStr(in)); }
    }

    record Cancel(String consumerTag, boolean noWait) implements BasicMethod {
        public int methodId() { return 30; }
        public void encodeArguments(ByteBuf out) {
            Wire.shortStr(out, consumerTag);
            out.writeByte(Wire.bits(noWait));
        }
        static Cancel decode(ByteBuf in) {
            return new Cancel(Wire.shortStr(in), Wire.bit(in.readUnsignedByte(), 0));
        }
    }

    record CancelOk(String consumerTag) implements BasicMethod {
        public int methodId() { return 31; }
        public void encodeArguments(ByteBuf out) { Wire.shortStr(out, consumerTag); }
        static CancelOk decode(ByteBuf in) { return new CancelOk(Wire.shortStr(in)); }
    }

    record Publish(String exchange, String routingKey, boolean mandatory, boolean immediate) implements BasicMethod {
        public int methodId() { return 40; }
        public boolean hasContent() { return true; }
        public void encodeArguments(ByteBuf out) {
            out.writeShort(0);
            Wire.shortStr(out, exchange);
            Wire.shortStr(out, routingKey);
            out.writeByte(Wire.bits(mandatory, immediate));
        }
        static Publish decode(ByteBuf in) {
            in.readUnsignedShort();
            String exchange = Wire.shortStr(in);
            String key = Wire.shortStr(in);
            int b = in.readUnsignedByte();
            return new Publish(exchange, key, Wire.bit(b, 0), Wire.bit(b, 1));
        }
    }

    record Return(int replyCode, String replyText, String exchange, String routingKey) implements BasicMethod {
        public int methodId() { return 50; }
        public boolean hasContent() { return true; }
        public void encodeArguments(ByteBuf out) {
            out.writeShort(replyCode);
            Wire.shortStr(out, replyText);
            Wire.shortStr(out, exchange);
            Wire.shortStr(out, routingKey);
        }
        static Return decode(ByteBuf in) {
            return new Return(in.readUnsignedShort(), Wire.shortStr(in), Wire.shortStr(in), Wire.shortStr(in));
        }
    }

    record Deliver(String consumerTag, long deliveryTag, boolean redelivered, String exchange, String routingKey)
            implements BasicMethod {
        public int methodId() { return 60; }
        public boolean hasContent() { return true; }
        public void encodeArguments(ByteBuf out) {
            Wire.shortStr(out, consumerTag);
            out.writeLong(deliveryTag);
            out.writeByte(Wire.bits(redelivered));
            Wire.shortStr(out, exchange);
            Wire.shortStr(out, routingKey);
        }
        static Deliver decode(ByteBuf in) {
            return new Deliver(Wire.shortStr(in), in.readLong(), Wire.bit(in.readUnsignedByte(), 0),
                    Wire.shortStr(in), Wire.shortStr(in));
        }
    }

    record Get(String queue, boolean noAck) implements BasicMethod {
        public int methodId() { return 70; }
        public void encodeArguments(ByteBuf out) {
            out.writeShort(0);
            Wire.shortStr(out, queue);
            out.writeByte(Wire.bits(noAck));
        }
        static Get decode(ByteBuf in) {
            in.readUnsignedShort();
            return new Get(Wire.shortStr(in), Wire.bit(in.readUnsignedByte(), 0));
        }
    }

    record GetOk(long deliveryTag, boolean redelivered, String exchange, String routingKey, long messageCount)
            implements BasicMethod {
        public int methodId() { return 71; }
        public boolean hasContent() { return true; }
        public void encodeArguments(ByteBuf out) {
            out.writeLong(deliveryTag);
            out.writeByte(Wire.bits(redelivered));
            Wire.shortStr(out, exchange);
            Wire.shortStr(out, routingKey);
            out.writeInt((int) messageCount);
        }
        static GetOk decode(ByteBuf in) {
            return new GetOk(in.readLong(), Wire.bit(in.readUnsignedByte(), 0), Wire.shortStr(in), Wire.shortStr(in),
                    in.readUnsignedInt());
        }
    }

    record GetEmpty() implements BasicMethod {
        public int methodId() { return 72; }
        public void encodeArguments(ByteBuf out) { Wire.shortStr(out, ""); }
        static GetEmpty decode(ByteBuf in) {
            Wire.shortStr(in);
            return new GetEmpty();
        }
    }

    record Ack(long deliveryTag, boolean multiple) implements BasicMethod {
        public int methodId() { return 80; }
        public void encodeArguments(ByteBuf out) {
            out.writeLong(deliveryTag);
            out.writeByte(Wire.bits(multiple));
        }
        static Ack decode(ByteBuf in) { return new Ack(in.readLong(), Wire.bit(in.readUnsignedByte(), 0)); }
    }

    record Reject(long deliveryTag, boolean requeue) implements BasicMethod {
        public int methodId() { return 90; }
        public void encodeArguments(ByteBuf out) {
            out.writeLong(deliveryTag);
            out.writeByte(Wire.bits(requeue));
        }
        static Reject decode(ByteBuf in) { return new Reject(in.readLong(), Wire.bit(in.readUnsignedByte(), 0)); }
    }

    record RecoverAsync(boolean requeue) implements BasicMethod {
        public int methodId() { return 100; }
        public void encodeArguments(ByteBuf out) { out.writeByte(Wire.bits(requeue)); }
        static RecoverAsync decode(ByteBuf in) { return new RecoverAsync(Wire.bit(in.readUnsignedByte(), 0)); }
    }

    record Recover(boolean requeue) implements BasicMethod {
        public int methodId() { return 110; }
        public void encodeArguments(ByteBuf out) { out.writeByte(Wire.bits(requeue)); }
        static Recover decode(ByteBuf in) { return new Recover(Wire.bit(in.readUnsignedByte(), 0)); }
    }

    record RecoverOk() implements BasicMethod {
        public int methodId() { return 111; }
        public void encodeArguments(ByteBuf out) { }
    }

    record Nack(long deliveryTag, boolean multiple, boolean requeue) implements BasicMethod {
        public int methodId() { return 120; }
        public void encodeArguments(ByteBuf out) {
            out.writeLong(deliveryTag);
            out.writeByte(Wire.bits(multiple, requeue));
        }
        static Nack decode(ByteBuf in) {
            long tag = in.readLong();
            int b = in.readUnsignedByte();
            return new Nack(tag, Wire.bit(b, 0), Wire.bit(b, 1));
        }
    }

    static BasicMethod decode(int methodId, ByteBuf in) {
        return switch (methodId) {
            case 10 -> Qos.decode(in);
            case 11 -> new QosOk();
            case 20 -> Consume.decode(in);
            case 21 -> ConsumeOk.decode(in);
            case 30 -> Cancel.decode(in);
            case 31 -> CancelOk.decode(in);
            case 40 -> Publish.decode(in);
            case 50 -> Return.decode(in);
            case 60 -> Deliver.decode(in);
            case 70 -> Get.decode(in);
            case 71 -> GetOk.decode(in);
            case 72 -> GetEmpty.decode(in);
            case 80 -> Ack.decode(in);
            case 90 -> Reject.decode(in);
            case 100 -> RecoverAsync.decode(in);
            case 110 -> Recover.decode(in);
            case 111 -> new RecoverOk();
            case 120 -> Nack.decode(in);
            default -> null;
        };
    }
}
