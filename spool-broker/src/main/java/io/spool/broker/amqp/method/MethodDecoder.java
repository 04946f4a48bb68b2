package io.spool.broker.amqp.method;

import io.netty.buffer.ByteBuf;

/** Turns a method frame's payload (class id, method id, arguments) into an {@link AmqpMethod}. */
public final class MethodDecoder {

    private MethodDecoder() {}

    /**
     * Decodes the arguments of the given method; returns null for ids the protocol does not
     * define.
     *
     * @throws IndexOutOfBoundsException if the arguments are truncated
     * @throws io.spool.broker.model.FieldTable.MalformedTableException if a table or string is malformed
     */
    public static AmqpMethod decode(int classId, int methodId, ByteBuf in) {
        return switch (classId) {
            case ConnectionMethod.CLASS_ID -> ConnectionMethod.decode(methodId, in);
            case ChannelMethod.CLASS_ID -> ChannelMethod.decode(methodId, in);
            case AccessMethod.CLASS_ID -> AccessMethod.decode(methodId, in);
            case ExchangeMethod.CLASS_ID -> ExchangeMethod.decode(methodId, in);
            case QueueMethod.CLASS_ID -> QueueMethod.decode(methodId, in);
            case BasicMethod.CLASS_ID -> BasicMethod.decode(methodId, in);
            case ConfirmMethod.CLASS_ID -> ConfirmMethod.decode(methodId, in);
            case TxMethod.CLASS_ID -> TxMethod.decode(methodId, in);
            default -> null;
        };
    }
}
