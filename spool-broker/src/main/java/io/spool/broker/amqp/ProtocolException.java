package io.spool.broker.amqp;

import io.spool.broker.model.ErrorKind;

/**
 * A protocol violation found by the AMQP layer, with the method it concerns (class and method
 * ids, or 0 when no method is at fault). Hard kinds close the connection, soft ones the channel.
 */
final class ProtocolException extends RuntimeException {

    private final ErrorKind kind;
    private final int classId;
    private final int methodId;

    ProtocolException(ErrorKind kind, String text, int classId, int methodId) {
        super(text, null, false, false);
        this.kind = kind;
        this.classId = classId;
        this.methodId = methodId;
    }

    ErrorKind kind() {
        return kind;
    }

    int classId() {
        return classId;
    }

    int methodId() {
        return methodId;
    }
}
