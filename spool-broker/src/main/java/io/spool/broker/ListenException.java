package io.spool.broker;

/** A listener could not bind its address (typically: the port is already in use). */
public final class ListenException extends StartException {

    public ListenException(String listener, String host, int port, Throwable cause) {
        super("cannot listen for " + listener + " on " + host + ":" + port + ": " + reason(cause), cause);
    }

    private static String reason(Throwable cause) {
        String m = cause.getMessage();
        if (m == null) {
            return cause.getClass().getSimpleName();
        }
        return m.toLowerCase().contains("address already in use") ? "address already in use" : m;
    }
}
