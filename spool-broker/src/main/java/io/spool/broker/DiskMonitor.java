package io.spool.broker;

import io.spool.broker.model.ResourceAlarms;
import io.spool.broker.store.Storage;
import java.io.IOException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Checks free space on the data directory's disk every second and holds the disk alarm while
 * it is below the limit, so publishers stop before the disk is full; consumers keep draining.
 */
final class DiskMonitor implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(DiskMonitor.class);

    private final Storage storage;
    private final long limit;
    private final ResourceAlarms alarms;
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "spool-disk-monitor");
        t.setDaemon(true);
        return t;
    });
    private boolean low;

    DiskMonitor(Storage storage, long limit, ResourceAlarms alarms) {
        this.storage = storage;
        this.limit = limit;
        this.alarms = alarms;
    }

    void start() {
        check();
        timer.scheduleWithFixedDelay(this::check, 1, 1, TimeUnit.SECONDS);
    }

    private synchronized void check() {
        long free;
        try {
            free = storage.usableSpace();
        } catch (IOException e) {
            log.warn("cannot read free disk space of {}: {}", storage.dataDir(), e.toString());
            return;
        }
        boolean nowLow = free < limit;
        if (nowLow != low) {
            low = nowLow;
            if (nowLow) {
                log.warn("disk alarm: {} MiB free on {} is below the limit of {} MiB; publishers are blocked",
                        free >> 20, storage.dataDir(), limit >> 20);
            } else {
                log.info("disk alarm cleared: {} MiB free", free >> 20);
            }
            alarms.disk(nowLow);
        }
    }

    @Override
    public void close() {
        timer.shutdownNow();
    }
}
