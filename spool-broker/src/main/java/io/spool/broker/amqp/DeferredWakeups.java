package io.spool.broker.amqp;

import io.netty.util.concurrent.FastThreadLocal;
import java.util.ArrayList;
import java.util.List;

/**
 * Holds back the wake-ups a publishing connection owes other event loops until its current
 * read is done. Waking a sleeping event loop is a syscall; a read of 64 KiB may carry a
 * thousand small publishes for a consumer on another loop, and they should cost one wake-up,
 * not a thousand.
 *
 * <p>Thread-confined: each event loop thread has its own batch, opened by a connection when a
 * read starts and closed (kicking every deferred outbox) when it completes. Outside a batch
 * nothing is deferred.
 */
final class DeferredWakeups {

    private static final FastThreadLocal<DeferredWakeups> CURRENT = new FastThreadLocal<>() {
        @Override
        protected DeferredWakeups initialValue() {
            return new DeferredWakeups();
        }
    };

    private final List<DeliveryOutbox> deferred = new ArrayList<>();
    private boolean open;

    private DeferredWakeups() {}

    /** Starts deferring on this thread (idempotent). */
    static void begin() {
        CURRENT.get().open = true;
    }

    /** Defers an outbox's wake-up if a batch is open on this thread; false if not. */
    static boolean defer(DeliveryOutbox outbox) {
        DeferredWakeups w = CURRENT.get();
        if (!w.open) {
            return false;
        }
        w.deferred.add(outbox);
        return true;
    }

    /** Ends the batch on this thread and wakes every outbox deferred in it. */
    static void end() {
        DeferredWakeups w = CURRENT.get();
        w.open = false;
        if (w.deferred.isEmpty()) {
            return;
        }
        for (int i = 0; i < w.deferred.size(); i++) {
            w.deferred.get(i).wake();
        }
        w.deferred.clear();
    }
}
