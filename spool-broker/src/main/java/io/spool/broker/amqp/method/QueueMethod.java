package io.spool.broker.amqp.method;

import io.netty.buffer.ByteBuf;
import java.util.Map;

/** Methods of the AMQP {@code queue} class (id 50). */
public sealed interface QueueMethod extends AmqpMethod {

    int CLASS_ID = 50;

    @Override
    default int classId() {
        return CLASS_ID;
    }

    record Declare(String queue, boolean passive, boolean durable, boolean exclusive, boolean autoDelete,
                   boolean noWait, Map<String, Object> arguments) implements QueueMethod {
        public int methodId() { return 10; }
        public void encodeArguments(ByteBuf out) {
            out.writeShort(0);
            Wire.shortStr(out, queue);
            out.writeByte(Wire.bits(passive, durable, exclusive, autoDelete, noWait));
            Wire.table(out, arguments);
        }
        static Declare decode(ByteBuf in) {
            in.readUnsignedShort();
            String queue = Wire.shortStr(in);
            int b = in.readUnsignedByte();
            return new Declare(queue, Wire.bit(b, 0), Wire.bit(b, 1), Wire.bit(b, 2), Wire.bit(b, 3),
                    Wire.bit(b, 4), Wire.table(in));
        }
    }

    record DeclareOk(String queue, long messageCount, long consumerCount) implements QueueMethod {
        public int methodId() { return 11; }
        public void encodeArguments(ByteBuf out) {
            Wire.shortStr(out, queue);
            out.writeInt((int) messageCount);
            out.writeInt((int) consumerCount);
        }
        static DeclareOk decode(ByteBuf in) {
            return new DeclareOk(Wire.shortStr(in), in.readUnsignedInt(), in.readUnsignedInt());
        }
    }

    record Bind(String queue, String exchange, String routingKey, boolean noWait, Map<String, Object> arguments)
            implements QueueMethod {
        public int methodId() { return 20; }
        public void encodeArguments(ByteBuf out) {
            out.writeShort(0);
            Wire.shortStr(out, queue);
            Wire.shortStr(out, exchange);
            Wire.shortStr(out, routingKey);
            out.writeByte(Wire.bits(noWait));
            Wire.table(out, arguments);
        }
        static Bind decode(ByteBuf in) {
            in.readUnsignedShort();
            return new Bind(Wire.shortStr(in), Wire.shortStr(in), Wire.shortStr(in),
                    Wire.bit(in.readUnsignedByte(), 0), Wire.table(in));
        }
    }

    record BindOk() implements QueueMethod {
        public int methodId() { return 21; }
        public void encodeArguments(ByteBuf out) { }
    }

    record Purge(String queue, boolean noWait) implements QueueMethod {
        public int methodId() { return 30; }
        public void encodeArguments(ByteBuf out) {
            out.writeShort(0);
            Wire.shortStr(out, queue);
            out.writeByte(Wire.bits(noWait));
        }
        static Purge decode(ByteBuf in) {
            in.readUnsignedShort();
            return new Purge(Wire.shortStr(in), Wire.bit(in.readUnsignedByte(), 0));
        }
    }

    record PurgeOk(long messageCount) implements QueueMethod {
        public int methodId() { return 31; }
        public void encodeArguments(ByteBuf out) { out.writeInt((int) messageCount); }
        static PurgeOk decode(ByteBuf in) { return new PurgeOk(in.readUnsignedInt()); }
    }

    record Delete(String queue, boolean ifUnused, boolean ifEmpty, boolean noWait) implements QueueMethod {
        public int methodId() { return 40; }
        public void encodeArguments(ByteBuf out) {
            out.writeShort(0);
            Wire.shortStr(out, queue);
            out.writeByte(Wire.bits(ifUnused, ifEmpty, noWait));
        }
        static Delete decode(ByteBuf in) {
            in.readUnsignedShort();
            String queue = Wire.shortStr(in);
            int b = in.readUnsignedByte();
            return new Delete(queue, Wire.bit(b, 0), Wire.bit(b, 1), Wire.bit(b, 2));
        }
    }

    record DeleteOk(long messageCount) implements QueueMethod {
        public int methodId() { return 41; }
        public void encodeArguments(ByteBuf out) { out.writeInt((int) messageCount); }
        static DeleteOk decode(ByteBuf in) { return new DeleteOk(in.readUnsignedInt()); }
    }

    record Unbind(String queue, String exchange, String routingKey, Map<String, Object> arguments)
            implements QueueMethod {
        public int methodId() { return 50; }
        public void encodeArguments(ByteBuf out) {
            out.writeShort(0);
            Wire.shortStr(out, queue);
            Wire.shortStr(out, exchange);
            Wire.shortStr(out, routingKey);
            Wire.table(out, arguments);
        }
        static Unbind decode(ByteBuf in) {
            in.readUnsignedShort();
            return new Unbind(Wire.shortStr(in), Wire.shortStr(in), Wire.shortStr(in), Wire.table(in));
        }
    }

    record UnbindOk() implements QueueMethod {
        public int methodId() { return 51; }
        public void encodeArguments(ByteBuf out) { }
    }

    static QueueMethod decode(int methodId, ByteBuf in) {
        return switch (methodId) {
            case 10 -> Declare.decode(in);
            case 11 -> DeclareOk.decode(in);
            case 20 -> Bind.decode(in);
            case 21 -> new BindOk();
            case 30 -> Purge.decode(in);
            case 31 -> PurgeOk.decode(in);
            case 40 -> Delete.decode(in);
            case 41 -> DeleteOk.decode(in);
            case 50 -> Unbind.decode(in);
            case 51 -> new UnbindOk();
            default -> null;
        };
    }
}
