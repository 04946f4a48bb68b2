package io.spool.broker.amqp.method;

import io.netty.buffer.ByteBuf;

/** Methods of RabbitMQ's {@code confirm} class (id 85): publisher confirms. */
public sealed interface ConfirmMethod extends AmqpMethod {

    int CLASS_ID = 85;

    @Override
    default int classId() {
        return CLASS_ID;
    }

    record Select(boolean noWait) implements ConfirmMethod {
        public int methodId() { return 10; }
        public void encodeArguments(ByteBuf out) { out.writeByte(Wire.bits(noWait)); }
        static Select decode(ByteBuf in) { return new Select(Wire.bit(in.readUnsignedByte(), 0)); }
    }

    record SelectOk() implements ConfirmMethod {
        public int methodId() { return 11; }
        public void encodeArguments(ByteBuf out) { }
    }

    static ConfirmMethod decode(int methodId, ByteBuf in) {
        return switch (methodId) {
            case 10 -> Select.decode(in);
            case 11 -> new SelectOk();
            default -> null;
        };
    }
}
