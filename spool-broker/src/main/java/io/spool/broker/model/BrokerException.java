package io.spool.broker.model;

/**
 * An operation the broker refuses, with the kind of refusal and a text a user can act on
 * (for example "no queue 'jobs' in vhost '/'"). Cheap to throw: no stack trace.
 */
public final class BrokerException extends RuntimeException {

    private final ErrorKind kind;

    public BrokerException(ErrorKind kind, String message) {
        super(message, null, false, false);
        this.kind = kind;
    }

    public static BrokerException of(ErrorKind kind, String format, Object... args) {
        return new BrokerException(kind, String.format(format, args));
    }

    public ErrorKind kind() {
        return kind;
    }
}
