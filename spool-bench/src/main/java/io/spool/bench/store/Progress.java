package io.spool.bench.store;

import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/** Prints how far a long phase has got every few seconds, so a run of minutes is not silent. */
final class Progress implements AutoCloseable {

    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "progress");
        t.setDaemon(true);
        return t;
    });

    Progress(String phase, long total, LongSupplier done) {
        long started = System.nanoTime();
        timer.scheduleAtFixedRate(() -> {
            long n = done.getAsLong();
            double seconds = (System.nanoTime() - started) / 1e9;
            System.err.printf("  %s: %,d / %,d (%,.0f msg/s so far)%n", phase, n, total, n / seconds);
        }, 10, 10, TimeUnit.SECONDS);
    }

    @Override
    public void close() {
        timer.shutdownNow();
    }
}
