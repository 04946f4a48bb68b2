package io.spool.broker.amqp.method;

import io.netty.buffer.ByteBuf;

/** Methods of the AMQP {@code channel} class (id 20). */
public sealed interface ChannelMethod extends AmqpMethod {

    int CLASS_ID = 20;

    @Override
    default int classId() {
        return CLASS_ID;
    }

    record Open() implements ChannelMethod {
        public int methodId() { return 10; }
        public void encodeArguments(ByteBuf out) { Wire.shortStr(out, ""); }
        static Open decode(ByteBuf in) {
            Wire.shortStr(in);
            return new Open();
        }
    }

    record OpenOk() implements ChannelMethod {
        public int methodId() { return 11; }
        public void encodeArguments(ByteBuf out) { out.writeInt(0); }
        static OpenOk decode(ByteBuf in) {
            Wire.longStrBytes(in);
            return new OpenOk();
        }
    }

    record Flow(boolean active) implements ChannelMethod {
        public int methodId() { return 20; }
        public void encodeArguments(ByteBuf out) { out.writeByte(active ? 1 : 0); }
        static Flow decode(ByteBuf in) { return new Flow(Wire.bit(in.readUnsignedByte(), 0)); }
    }

    record FlowOk(boolean active) implements ChannelMethod {
        public int methodId() { return 21; }
        public void encodeArguments(ByteBuf out) { out.writeByte(active ? 1 : 0); }
        static FlowOk decode(ByteBuf in) { return new FlowOk(Wire.bit(in.readUnsignedByte(), 0)); }
    }

    record Close(int replyCode, String replyText, int failingClassId, int failingMethodId) implements ChannelMethod {
        public int methodId() { return 40; }
        public void encodeArguments(ByteBuf out) {
            out.writeShort(replyCode);
            Wire.shortStr(out, replyText);
            out.writeShort(failingClassId);
            out.writeShort(failingMethodId);
        }
        static Close decode(ByteBuf in) {
            return new Close(in.readUnsignedShort(), Wire.shortStr(in), in.readUnsignedShort(), in.readUnsignedShort());
        }
    }

    record CloseOk() implements ChannelMethod {
        public int methodId() { return 41; }
        public void encodeArguments(ByteBuf out) { }
    }

    static ChannelMethod decode(int methodId, ByteBuf in) {
        return switch (methodId) {
            case 10 -> Open.decode(in);
            case 11 -> OpenOk.decode(in);
            case 20 -> Flow.decode(in);
            case 21 -> FlowOk.decode(in);
            case 40 -> Close.decode(in);
            case 41 -> new CloseOk();
            default -> null;
        };
    }
}
