package io.spool.broker.model;

/**
 * Why the broker refused an operation. The codes are AMQP 0-9-1's reply codes, which RabbitMQ
 * users already know; other protocols map them to their own. A hard error ends the whole
 * connection, a soft one only the channel.
 */
public enum ErrorKind {
    ACCESS_REFUSED(403, false),
    NOT_FOUND(404, false),
    RESOURCE_LOCKED(405, false),
    PRECONDITION_FAILED(406, false),
    CONNECTION_FORCED(320, true),
    FRAME_ERROR(501, true),
    SYNTAX_ERROR(502, true),
    COMMAND_INVALID(503, true),
    CHANNEL_ERROR(504, true),
    UNEXPECTED_FRAME(505, true),
    RESOURCE_ERROR(506, true),
    NOT_ALLOWED(530, true),
    NOT_IMPLEMENTED(540, true),
    INTERNAL_ERROR(541, true);

    private final int code;
    private final boolean hard;

    ErrorKind(int code, boolean hard) {
        this.code = code;
        this.hard = hard;
    }

    public int code() {
        return code;
    }

    /** True when the error closes the connection rather than only the channel. */
    public boolean hard() {
        return hard;
    }
}
