package io.spool.broker.model;

import io.spool.broker.store.ScheduleStore;
import io.spool.broker.store.ScheduledMessage;
import io.spool.broker.store.Storage;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Delayed delivery for one virtual host: messages waiting in the on-disk schedule
 * ({@link ScheduleStore}) until they are due, and the thread that delivers them then.
 *
 * <p><b>Delayed-message exchanges.</b> A message published to (or routed through) an
 * {@code x-delayed-message} exchange with a usable {@code x-delay} header is scheduled instead
 * of routed. When due, its {@code x-delay} is set to minus the delay, as the RabbitMQ plugin
 * does, and it is routed through that exchange, looked up by name, so the bindings of that
 * moment decide where it goes; the exchange's alternate exchange applies then too. If the
 * exchange is gone, or nothing matches, the message is dropped, once, silently.
 *
 * <p><b>Broker-side retries</b>: {@link #scheduleForQueue(String, Message, long)} keeps a
 * message, carrying its {@code x-delivery-count}, until a due time, then hands it back to the
 * named queue of this virtual host as a retry ({@link Queue#enqueueRetried}); if the queue no
 * longer exists it is dropped. The call returns the group-commit generation after
 * which the scheduled record is on disk (0 for a transient message): a caller that removes
 * the original from its queue should let that settle only once
 * {@code storage.commit().durableGeneration()} has reached it, or accept that a crash in
 * between loses a persistent message. It may be called from any thread, also while holding a
 * queue lock: the schedule never takes a queue lock while holding its own. Scheduled retries
 * are counted per queue ({@link #scheduledForQueue}) and survive restarts like delayed
 * exchange messages.
 *
 * <p><b>Durability.</b> Persistent or not, scheduled messages survive a restart (as the
 * plugin's do); a persistent one is fsynced before its publisher is confirmed. A due message
 * is marked delivered only once its enqueues are durable, so a crash may deliver one twice but
 * never loses one. A queue that refuses a due message (its disk failed) gets it again a second
 * later, and so may other queues it was routed to. A queue whose reject-publish limit turns a
 * due message away loses it, as it would a publisher's (with reject-publish-dlx it is
 * dead-lettered).
 *
 * <p>Threads: scheduling runs on the caller's thread (a connection's event loop). Due messages
 * are read, routed and enqueued on this object's own thread, {@code spool-delayed}, which holds
 * no lock while it enqueues, so it never holds two queue locks.
 */
public final class DelayedMessages {

    private static final Logger log = LoggerFactory.getLogger(DelayedMessages.class);
    /** Due messages delivered between two house-keeping steps of the schedule. */
    private static final int BATCH = 512;
    /** How long a message refused by a queue (a disk failure) waits before another try. */
    private static final long RETRY_MILLIS = 1_000;
    /** The thread looks at least this often, whatever it planned. */
    private static final long MAX_SLEEP_MILLIS = 1_000;

    private final VirtualHost vhost;
    private final LongSupplier clock;
    private final Thread thread;
    private final ScheduleStore store;
    private final RoutingResult routing = new RoutingResult();
    private final List<ScheduleStore.Due> due = new ArrayList<>(BATCH);
    private volatile boolean running = true;

    private DelayedMessages(VirtualHost vhost, Storage storage, LongSupplier clock) throws IOException {
        this.vhost = vhost;
        this.clock = clock;
        this.thread = Thread.ofPlatform().daemon().name("spool-delayed").unstarted(this::run);
        this.store = storage.openSchedule(vhost.name(), () -> LockSupport.unpark(thread), clock.getAsLong());
    }

    /** Opens (recovering) a virtual host's schedule and starts delivering what is due. */
    static DelayedMessages start(VirtualHost vhost, Storage storage) throws IOException {
        DelayedMessages d = new DelayedMessages(vhost, storage, System::currentTimeMillis);
        ScheduleStore.Recovery r = d.store.recovery();
        log.info("recovered {} delayed messages from {} schedule files in {} ms ({} already delivered, {} damaged "
                + "skipped, {} bytes cut)", r.scheduled(), r.files(), r.millis(), r.settled(), r.damaged(), r.cutBytes());
        d.thread.start();
        return d;
    }

    // ---- scheduling ----

    /**
     * Schedules a message that reached a delayed exchange. Returns the generation to wait for
     * before confirming it, or {@link Queue#REFUSED} if the disk refused it.
     */
    long scheduleForExchange(Exchange exchange, Message message, long delayMillis) {
        return schedule(clock.getAsLong() + delayMillis, false, exchange.name(), message);
    }

    /**
     * Schedules a message to be enqueued, as it is, into a queue of this virtual host at a due
     * time (milliseconds since the epoch; a time already past means at once). Returns the
     * group-commit generation after which the schedule holds it durably (0 for a transient
     * message), or {@link Queue#REFUSED} if the disk refused it. See the class comment.
     */
    public long scheduleForQueue(String queue, Message message, long dueAtMillis) {
        return schedule(dueAtMillis, true, queue, message);
    }

    private long schedule(long dueAt, boolean toQueue, String target, Message message) {
        try {
            return store.schedule(dueAt, toQueue, target, message);
        } catch (UncheckedIOException e) {
            log.error("cannot schedule a delayed message for {} '{}': {}", toQueue ? "queue" : "exchange", target,
                    e.getCause().toString());
            return Queue.REFUSED;
        }
    }

    // ---- counters ----

    /** Messages scheduled and not yet delivered, for every target. */
    public long scheduled() {
        return store.scheduled();
    }

    /** Messages scheduled through an exchange and not yet delivered (the plugin's {@code messages_delayed}). */
    public long scheduledFor(Exchange exchange) {
        return store.scheduledFor(false, exchange.name());
    }

    /** Messages scheduled for re-enqueue into a queue and not yet delivered. */
    public long scheduledForQueue(String queue) {
        return store.scheduledFor(true, queue);
    }

    /** Bytes the schedule holds on disk. */
    public long diskBytes() {
        return store.diskBytes();
    }

    // ---- delivering ----

    private void run() {
        while (running) {
            try {
                long now = clock.getAsLong();
                store.maintain(now);
                int n = store.takeDue(now, BATCH, due);
                for (int i = 0; i < due.size(); i++) {
                    deliver(due.get(i), now);
                }
                due.clear();
                if (n == BATCH) {
                    continue;
                }
                long wait = store.planWake(clock.getAsLong()) - clock.getAsLong();
                if (wait > 0) {
                    LockSupport.parkNanos(this, TimeUnit.MILLISECONDS.toNanos(Math.min(wait, MAX_SLEEP_MILLIS)));
                }
            } catch (RuntimeException e) {
                log.error("delayed delivery failed; trying again shortly", e);
                due.clear();
                LockSupport.parkNanos(this, TimeUnit.MILLISECONDS.toNanos(100));
            }
        }
    }

    private void deliver(ScheduleStore.Due d, long now) {
        ScheduledMessage s = store.read(d);
        if (s == null) {
            store.dropUnreadable(d);
            return;
        }
        long generation = s.toQueue() ? enqueue(s) : route(s);
        if (generation == Queue.REFUSED) {
            store.retryAt(s, now + RETRY_MILLIS);
        } else {
            store.settle(s, generation);
        }
    }

    private long enqueue(ScheduledMessage s) {
        Queue q = vhost.queue(s.target());
        if (q == null) {
            log.debug("dropping a scheduled message for queue '{}': the queue no longer exists", s.target());
            return 0;
        }
        long g = q.enqueueRetried(s.message());
        // Gone, or turned away by a reject-publish limit: delivered as far as the schedule goes.
        return g == Queue.DELETED || g == Queue.REJECTED ? 0 : g;
    }

    private long route(ScheduledMessage s) {
        Exchange x = vhost.exchange(s.target());
        if (x == null) {
            log.debug("dropping a delayed message for exchange '{}': the exchange no longer exists", s.target());
            return 0;
        }
        vhost.route(x, DelayHeader.delivered(s.message()), routing);
        // x-delay is negative by now, so no delayed exchange delays it again; should one ever
        // do, the message is scheduled rather than lost. A queue's reject-publish limit turning
        // it away is final: delivered as far as the schedule goes.
        return vhost.enqueueRouted(routing);
    }

    // ---- lifecycle ----

    /** Stops the delivering thread; the schedule stays open until {@link #close}. */
    void stop() {
        running = false;
        LockSupport.unpark(thread);
        try {
            thread.join(5_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Closes the schedule, after the queues have closed their stores (see {@link ScheduleStore#close}). */
    void close() {
        store.close();
    }
}
