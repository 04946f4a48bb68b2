package io.spool.worker;

import java.time.Duration;

/** The error of an attempt that ran past the worker's timeout. */
public final class JobTimeoutException extends Exception {

    public JobTimeoutException(Duration timeout) {
        super("job ran longer than its timeout of " + timeout);
    }
}
