package io.spool.broker;

/** The broker's version, as it tells clients and prints at start. */
public final class Version {

    public static final String VERSION = read();

    private Version() {}

    private static String read() {
        String v = Version.class.getPackage().getImplementationVersion();
        return v != null ? v : "0.1.0-dev";
    }
}
