package io.spool.broker.amqp.method;

import io.netty.buffer.ByteBuf;

/** The deprecated AMQP {@code access} class (id 30), which old clients still send. */
public sealed interface AccessMethod extends AmqpMethod {

    int CLASS_ID = 30;

    @Override
    default int classId() {
        return CLASS_ID;
    }

    record Request(String realm) implements AccessMethod {
        public int methodId() { return 10; }
        public void encodeArguments(ByteBuf out) {
            Wire.shortStr(out, realm);
            out.writeByte(0);
        }
        static Request decode(ByteBuf in) {
            String realm = Wire.shortStr(in);
            in.readUnsignedByte();
            return new Request(realm);
        }
    }

    record RequestOk(int ticket) implements AccessMethod {
        public int methodId() { return 11; }
        public void encodeArguments(ByteBuf out) { out.writeShort(ticket); }
        static RequestOk decode(ByteBuf in) { return new RequestOk(in.readUnsignedShort()); }
    }

    static AccessMethod decode(int methodId, ByteBuf in) {
        return switch (methodId) {
            case 10 -> Request.decode(in);
            case 11 -> RequestOk.decode(in);
            default -> null;
        };
    }
}
