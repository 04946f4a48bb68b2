package io.spool.broker.amqp.method;

import io.netty.buffer.ByteBuf;
import java.util.Map;

/** Methods of the AMQP {@code connection} class (id 10). */
public sealed interface ConnectionMethod extends AmqpMethod {

    int CLASS_ID = 10;

    @Override
    default int classId() {
        return CLASS_ID;
    }

    record Start(int versionMajor, int versionMinor, Map<String, Object> serverProperties, String mechanisms,
                 String locales) implements ConnectionMethod {
        public int methodId() { return 10; }
        public void encodeArguments(ByteBuf out) {
            out.writeByte(versionMajor);
            out.writeByte(versionMinor);
            Wire.table(out, serverProperties);
            Wire.longStr(out, mechanisms);
            Wire.longStr(out, locales);
        }
        static Start decode(ByteBuf in) {
            return new Start(in.readUnsignedByte(), in.readUnsignedByte(), Wire.table(in), Wire.longStr(in),
                    Wire.longStr(in));
        }
    }

    record StartOk(Map<String, Object> clientProperties, String mechanism, byte[] response, String locale)
            implements ConnectionMethod {
        public int methodId() { return 11; }
        public void encodeArguments(ByteBuf out) {
            Wire.table(out, clientProperties);
            Wire.shortStr(out, mechanism);
            Wire.longStr(out, response);
            Wire.shortStr(out, locale);
        }
        static StartOk decode(ByteBuf in) {
            return new StartOk(Wire.table(in), Wire.shortStr(in), Wire.longStrBytes(in), Wire.shortStr(in));
        }
    }

    record Secure(byte[] challenge) implements ConnectionMethod {
        public int methodId() { return 20; }
        public void encodeArguments(ByteBuf out) { Wire.longStr(out, challenge); }
        static Secure decode(ByteBuf in) { return new Secure(Wire.longStrBytes(in)); }
    }

    record SecureOk(byte[] response) implements ConnectionMethod {
        public int methodId() { return 21; }
        public void encodeArguments(ByteBuf out) { Wire.longStr(out, response); }
        static SecureOk decode(ByteBuf in) { return new SecureOk(Wire.longStrBytes(in)); }
    }

    record Tune(int channelMax, long frameMax, int heartbeat) implements ConnectionMethod {
        public int methodId() { return 30; }
        public void encodeArguments(ByteBuf out) {
            out.writeShort(channelMax);
            out.writeInt((int) frameMax);
            out.writeShort(heartbeat);
        }
        static Tune decode(ByteBuf in) {
            return new Tune(in.readUnsignedShort(), in.readUnsignedInt(), in.readUnsignedShort());
        }
    }

    record TuneOk(int channelMax, long frameMax, int heartbeat) implements ConnectionMethod {
        public int methodId() { return 31; }
        public void encodeArguments(ByteBuf out) {
            out.writeShort(channelMax);
            out.writeInt((int) frameMax);
            out.writeShort(heartbeat);
        }
        static TuneOk decode(ByteBuf in) {
            return new TuneOk(in.readUnsignedShort(), in.readUnsignedInt(), in.readUnsignedShort());
        }
    }

    record Open(String virtualHost) implements ConnectionMethod {
        public int methodId() { return 40; }
        public void encodeArguments(ByteBuf out) {
            Wire.shortStr(out, virtualHost);
            Wire.shortStr(out, "");
            out.writeByte(0);
        }
        static Open decode(ByteBuf in) {
            String vhost = Wire.shortStr(in);
            Wire.shortStr(in);
            in.readUnsignedByte();
            return new Open(vhost);
        }
    }

    record OpenOk() implements ConnectionMethod {
        public int methodId() { return 41; }
        public void encodeArguments(ByteBuf out) { Wire.shortStr(out, ""); }
        static OpenOk decode(ByteBuf in) {
            Wire.shortStr(in);
            return new OpenOk();
        }
    }

    record Close(int replyCode, String replyText, int failingClassId, int failingMethodId)
            implements ConnectionMethod {
        public int methodId() { return 50; }
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

    record CloseOk() implements ConnectionMethod {
        public int methodId() { return 51; }
        public void encodeArguments(ByteBuf out) { }
    }

    record Blocked(String reason) implements ConnectionMethod {
        public int methodId() { return 60; }
        public void encodeArguments(ByteBuf out) { Wire.shortStr(out, reason); }
        static Blocked decode(ByteBuf in) { return new Blocked(Wire.shortStr(in)); }
    }

    record Unblocked() implements ConnectionMethod {
        public int methodId() { return 61; }
        public void encodeArguments(ByteBuf out) { }
    }

    record UpdateSecret(byte[] newSecret, String reason) implements ConnectionMethod {
        public int methodId() { return 70; }
        public void encodeArguments(ByteBuf out) {
            Wire.longStr(out, newSecret);
            Wire.shortStr(out, reason);
        }
        static UpdateSecret decode(ByteBuf in) { return new UpdateSecret(Wire.longStrBytes(in), Wire.shortStr(in)); }
    }

    record UpdateSecretOk() implements ConnectionMethod {
        public int methodId() { return 71; }
        public void encodeArguments(ByteBuf out) { }
    }

    static ConnectionMethod decode(int methodId, ByteBuf in) {
        return switch (methodId) {
            case 10 -> Start.decode(in);
            case 11 -> StartOk.decode(in);
            case 20 -> Secure.decode(in);
            case 21 -> SecureOk.decode(in);
            case 30 -> Tune.decode(in);
            case 31 -> TuneOk.decode(in);
            case 40 -> Open.decode(in);
            case 41 -> OpenOk.decode(in);
            case 50 -> Close.decode(in);
            case 51 -> new CloseOk();
            case 60 -> Blocked.decode(in);
            case 61 -> new Unblocked();
            case 70 -> UpdateSecret.decode(in);
            case 71 -> new UpdateSecretOk();
            default -> null;
        };
    }
}
