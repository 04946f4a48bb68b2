package io.spool.broker.amqp.method;

import io.netty.buffer.ByteBuf;
import java.util.Map;

/** Methods of the AMQP {@code exchange} class (id 40). */
public sealed interface ExchangeMethod extends AmqpMethod {

    int CLASS_ID = 40;

    @Override
    default int classId() {
        return CLASS_ID;
    }

    record Declare(String exchange, String type, boolean passive, boolean durable, boolean autoDelete,
                   boolean internal, boolean noWait, Map<String, Object> arguments) implements ExchangeMethod {
        public int methodId() { return 10; }
        public void encodeArguments(ByteBuf out) {
            out.writeShort(0);
            Wire.shortStr(out, exchange);
            Wire.shortStr(out, type);
            out.writeByte(Wire.bits(passive, durable, autoDelete, internal, noWait));
            Wire.table(out, arguments);
        }
        static Declare decode(ByteBuf in) {
            in.readUnsignedShort();
            String exchange = Wire.shortStr(in);
            String type = Wire.shortStr(in);
            int b = in.readUnsignedByte();
            return new Declare(exchange, type, Wire.bit(b, 0), Wire.bit(b, 1), Wire.bit(b, 2), Wire.bit(b, 3),
                    Wire.bit(b, 4), Wire.table(in));
        }
    }

    record DeclareOk() implements ExchangeMethod {
        public int methodId() { return 11; }
        public void encodeArguments(ByteBuf out) { }
    }

    record Delete(String exchange, boolean ifUnused, boolean noWait) implements ExchangeMethod {
        public int methodId() { return 20; }
        public void encodeArguments(ByteBuf out) {
            out.writeShort(0);
            Wire.shortStr(out, exchange);
            out.writeByte(Wire.bits(ifUnused, noWait));
        }
        static Delete decode(ByteBuf in) {
            in.readUnsignedShort();
            String exchange = Wire.shortStr(in);
            int b = in.readUnsignedByte();
            return new Delete(exchange, Wire.bit(b, 0), Wire.bit(b, 1));
        }
    }

    record DeleteOk() implements ExchangeMethod {
        public int methodId() { return 21; }
        public void encodeArguments(ByteBuf out) { }
    }

    record Bind(String destination, String source, String routingKey, boolean noWait,
                Map<String, Object> arguments) implements ExchangeMethod {
        public int methodId() { return 30; }
        public void encodeArguments(ByteBuf out) {
            out.writeShort(0);
            Wire.shortStr(out, destination);
            Wire.shortStr(out, source);
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

    record BindOk() implements ExchangeMethod {
        public int methodId() { return 31; }
        public void encodeArguments(ByteBuf out) { }
    }

    record Unbind(String destination, String source, String routingKey, boolean noWait,
                  Map<String, Object> arguments) implements ExchangeMethod {
        public int methodId() { return 40; }
        public void encodeArguments(ByteBuf out) {
            out.writeShort(0);
            Wire.shortStr(out, destination);
            Wire.shortStr(out, source);
            Wire.shortStr(out, routingKey);
            out.writeByte(Wire.bits(noWait));
            Wire.table(out, arguments);
        }
        static Unbind decode(ByteBuf in) {
            in.readUnsignedShort();
            return new Unbind(Wire.shortStr(in), Wire.shortStr(in), Wire.shortStr(in),
                    Wire.bit(in.readUnsignedByte(), 0), Wire.table(in));
        }
    }

    record UnbindOk() implements ExchangeMethod {
        public int methodId() { return 51; }
        public void encodeArguments(ByteBuf out) { }
    }

    static ExchangeMethod decode(int methodId, ByteBuf in) {
        return switch (methodId) {
            case 10 -> Declare.decode(in);
            case 11 -> new DeclareOk();
            case 20 -> Delete.decode(in);
            case 21 -> new DeleteOk();
            case 30 -> Bind.decode(in);
            case 31 -> new BindOk();
            case 40 -> Unbind.decode(in);
            case 51 -> new UnbindOk();
            default -> null;
        };
    }
}
