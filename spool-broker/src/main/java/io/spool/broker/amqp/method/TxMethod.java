package io.spool.broker.amqp.method;

import io.netty.buffer.ByteBuf;

/** Methods of the AMQP {@code tx} class (id 90): transactions. */
public sealed interface TxMethod extends AmqpMethod {

    int CLASS_ID = 90;

    @Override
    default int classId() {
        return CLASS_ID;
    }

    record Select() implements TxMethod {
        public int methodId() { return 10; }
        public void encodeArguments(ByteBuf out) { }
    }

    record SelectOk() implements TxMethod {
        public int methodId() { return 11; }
        public void encodeArguments(ByteBuf out) { }
    }

    record Commit() implements TxMethod {
        public int methodId() { return 20; }
        public void encodeArguments(ByteBuf out) { }
    }

    record CommitOk() implements TxMethod {
        public int methodId() { return 21; }
        public void encodeArguments(ByteBuf out) { }
    }

    record Rollback() implements TxMethod {
        public int methodId() { return 30; }
        public void encodeArguments(ByteBuf out) { }
    }

    record RollbackOk() implements TxMethod {
        public int methodId() { return 31; }
        public void encodeArguments(ByteBuf out) { }
    }

    static TxMethod decode(int methodId, ByteBuf in) {
        return switch (methodId) {
            case 10 -> new Select();
            case 11 -> new SelectOk();
            case 20 -> new Commit();
            case 21 -> new CommitOk();
            case 30 -> new Rollback();
            case 31 -> new RollbackOk();
            default -> null;
        };
    }
}
