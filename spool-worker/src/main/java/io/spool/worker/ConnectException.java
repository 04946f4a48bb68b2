package io.spool.worker;

/** The first connection could not be opened: a bad URI, a refused login, or no broker in time. */
public class ConnectException extends RuntimeException {

    public ConnectException(String message, Throwable cause) {
        super(message, cause);
    }
}
