package io.spool.broker;

/** The broker could not start; the message says why in one line (a port taken, a locked data dir). */
public class StartException extends Exception {

    public StartException(String message, Throwable cause) {
        super(message, cause);
    }
}
