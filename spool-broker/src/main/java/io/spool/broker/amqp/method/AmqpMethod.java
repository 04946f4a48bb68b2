package io.spool.broker.amqp.method;

import io.netty.buffer.ByteBuf;

/**
 * A decoded AMQP 0-9-1 method: its class and method ids and its arguments. Each AMQP class is
 * one sealed interface with a record per method; every record can write its arguments, and
 * {@link MethodDecoder} reads them, so tests can speak the protocol with the same types.
 */
public sealed interface AmqpMethod
        permits ConnectionMethod, ChannelMethod, AccessMethod, ExchangeMethod, QueueMethod, BasicMethod,
        ConfirmMethod, TxMethod {

    int classId();

    int methodId();

    /** Writes the arguments (not the class and method ids). */
    void encodeArguments(ByteBuf out);

    /** The spec's name, such as {@code basic.publish}, for error texts and logs. */
    default String name() {
        return MethodNames.of(classId(), methodId());
    }

    /** True for methods followed by a content header and body (publish, deliver, get-ok, return). */
    default boolean hasContent() {
        return false;
    }
}
