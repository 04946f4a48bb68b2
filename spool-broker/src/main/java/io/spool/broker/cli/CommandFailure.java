package io.spool.broker.cli;

/**
 * A command could not do its work, for a reason the user can act on; printed as one line,
 * {@code spool: <message>}, with the exit code given (1: it failed, 2: it was misused).
 */
final class CommandFailure extends RuntimeException {

    private final int exitCode;

    CommandFailure(String message) {
        this(message, 1);
    }

    CommandFailure(String message, int exitCode) {
        super(message, null, false, false);
        this.exitCode = exitCode;
    }

    int exitCode() {
        return exitCode;
    }
}
