package io.spool.bench.store;

import java.nio.file.Path;

/** The JVM options of the brokers that the store and the delay benchmark start. */
final class BrokerJavaOpts {

    /** The usage's word on the environment variable {@link #extra} reads. */
    static final String USAGE_NOTE = "SPOOL_BENCH_JAVA_OPTS adds broker JVM options, e.g. -XX:StartFlightRecording=...";

    private BrokerJavaOpts() {}

    /** More broker JVM options (a profiler, say) from SPOOL_BENCH_JAVA_OPTS; "" when there are none. */
    static String extra() {
        return System.getenv().getOrDefault("SPOOL_BENCH_JAVA_OPTS", "").trim();
    }

    /** The options of a broker with the heap {@code heap}, its GC log in {@code gcLog}, plus {@code extra}. */
    static String of(String heap, String extra, Path gcLog) {
        // bin/spool splits JAVA_OPTS on whitespace, so the GC log path must not hold any.
        if (gcLog.toString().contains(" ")) {
            throw new IllegalArgumentException("the work directory path must not contain spaces: " + gcLog);
        }
        String opts = "-Xmx" + heap + " -Xlog:gc:file=" + gcLog;
        return extra.isEmpty() ? opts : opts + " " + extra;
    }
}
