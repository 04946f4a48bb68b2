package io.spool.worker;

/**
 * Thrown by a handler for a job that no retry can fix (a malformed file, a deleted record): the
 * job is dead-lettered at once instead of using its remaining attempts.
 */
public class PermanentJobFailure extends Exception {

    public PermanentJobFailure(String message) {
        super(message);
    }

    public PermanentJobFailure(String message, Throwable cause) {
        super(message, cause);
    }
}
