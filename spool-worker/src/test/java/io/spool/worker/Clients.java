package io.spool.worker;

import java.util.ArrayList;
import java.util.List;
import java.util.function.IntSupplier;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * SpoolJobs clients for a test, connected to the port the supplier names at the time, and
 * closed after the test (before the broker stops: register this extension after the broker's).
 */
final class Clients implements AfterEachCallback {

    private final IntSupplier port;
    private final List<SpoolJobs> open = new ArrayList<>();

    Clients(IntSupplier port) {
        this.port = port;
    }

    String uri() {
        return "amqp://guest:guest@127.0.0.1:" + port.getAsInt();
    }

    /** A new client with short reconnect delays, as a separate worker process would have its own. */
    SpoolJobs connect() {
        return connect(SpoolJobs.builder().uri(uri()));
    }

    synchronized SpoolJobs connect(SpoolJobs.Builder builder) {
        SpoolJobs jobs = builder.connect();
        open.add(jobs);
        return jobs;
    }

    @Override
    public void afterEach(ExtensionContext context) {
        closeAll();
    }

    /** Closes every client made; for tests that stop their broker in an {@code @AfterEach} method. */
    synchronized void closeAll() {
        for (SpoolJobs jobs : open) {
            jobs.close();
        }
        open.clear();
    }
}
