package io.spool.broker.model;

import io.netty.util.collection.LongObjectHashMap;
import io.spool.broker.store.QueueStore;
import io.spool.broker.util.LongDeque;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A queue: messages waiting by priority and in order, the deliveries awaiting acknowledgement,
 * the consumers that share it, and the job semantics of its {@link QueueArguments}: TTLs,
 * length limits, dead-lettering, delivery limit, broker-side retries (through the virtual
 * host's schedule of delayed messages), single active consumer, expiry when unused,
 * deduplication.
 *
 * <p>Every message is appended to the queue's {@link QueueStore}; in memory the queue keeps
 * three longs per waiting message ({@link WaitingMessages}) and a bounded cache of recent bodies,
 * so its heap follows in-flight work rather than depth. A body not cached is read back from the
 * store when the message is handed out.
 *
 * <p>Threads: the state below the constructor's fields is guarded by this object's monitor,
 * which is also the store's lock. Any thread may call in. While holding the monitor a queue
 * calls only {@link ConsumerOwner} methods, which never call back, so no thread ever holds two
 * queue locks. Dead letters are collected under the lock and routed after it is released, for
 * the same reason. The topology lock of the virtual host may be held when a queue lock is
 * taken, never the other way round.
 */
public final class Queue implements Destination {

    private static final Logger log = LoggerFactory.getLogger(Queue.class);

    /** Result of {@link #enqueue} when the queue is gone. */
    public static final long DELETED = -1;
    /** Result of {@link #enqueue} when the store could not take the message (the disk failed). */
    public static final long REFUSED = -2;
    /**
     * Result of {@link #enqueue} when a reject-publish length limit turned the message away
     * (for good: with reject-publish-dlx it has been dead-lettered).
     */
    public static final long REJECTED = -3;
    /** The position of a message handed straight to an auto-ack consumer, never written. */
    private static final long NOT_STORED = Long.MIN_VALUE;
    /** Bytes of bodies one queue keeps cached, at most. */
    private static final long CACHE_LIMIT = 8L * 1024 * 1024;

    private final VirtualHost vhost;
    private final String name;
    private final boolean durable;
    private final boolean exclusive;
    private final boolean autoDelete;
    private final Map<String, Object> arguments;
    private final Object exclusiveOwner;
    private final MessageMemory memory;

    /** Bindings with this queue as destination; guarded by the virtual host's topology lock. */
    private final Set<Binding> inbound = new LinkedHashSet<>();

    private volatile QueueArguments settings;
    private Map<String, Object> policy;
    private QueueStore store;
    private final WaitingMessages waiting;
    /** Messages that came back, served before the waiting ones of their level. */
    private final ReturnedMessages returned;
    /** Bodies of waiting messages kept in memory, by position. */
    private final LongObjectHashMap<Message> cache = new LongObjectHashMap<>();
    private long cachedBytes;
    /** Recovered messages below this position may have been delivered before the restart. */
    private long redeliverBelow;
    /** Every position below this one has (or, before a restart, may have) been handed out. */
    private long deliveredBelow;
    private final ConsumerRing consumers;
    /** Keys of the messages in the queue, when x-message-deduplication is on. */
    private final Deduplication dedup = new Deduplication();
    private int unacked;
    private boolean hadConsumers;
    private boolean deleted;
    private List<DeadLetter> deadLetters = new ArrayList<>();
    private volatile boolean hasDeadLetters;
    private ScheduledFuture<?> expiryTimer;
    private long expiryTimerAt = Long.MAX_VALUE;
    private ScheduledFuture<?> unusedTimer;
    private long lastUsedMillis = System.currentTimeMillis();
    private long publishedTotal;
    private long deliveredTotal;
    private long redeliveredTotal;
    private long ackedTotal;
    private long expiredTotal;
    private long deadLetteredTotal;
    private long rejectedTotal;
    private long droppedTotal;
    private long retriedTotal;

    Queue(VirtualHost vhost, String name, boolean durable, boolean exclusive, boolean autoDelete,
          Map<String, Object> arguments, Object exclusiveOwner, MessageMemory memory, QueueArguments settings) {
        this.vhost = vhost;
        this.name = name;
        this.durable = durable;
        this.exclusive = exclusive;
        this.autoDelete = autoDelete;
        this.arguments = arguments == null ? Map.of() : Collections.unmodifiableMap(arguments);
        this.exclusiveOwner = exclusiveOwner;
        this.memory = memory;
        this.settings = settings;
        this.waiting = new WaitingMessages(settings.maxPriority());
        this.returned = new ReturnedMessages(settings.maxPriority());
        this.consumers = new ConsumerRing(settings.singleActiveConsumer());
        this.dedup.configure(settings.deduplication());
    }

    /** Gives a new queue its (empty) store. Called once, before the queue is published. */
    synchronized void attach(QueueStore newStore) {
        this.store = newStore;
        scheduleUnusedCheck();
    }

    /** Gives a recovered queue its store and the messages found in it. */
    synchronized void attach(QueueStore.Recovery recovery) {
        this.store = recovery.store();
        LongDeque positions = recovery.positions();
        for (int i = 0; i < positions.size(); i++) {
            long meta = recovery.metas().get(i);
            int level = Math.min(QueueStore.priorityOf(meta), waiting.maxPriority());
            long position = positions.get(i);
            Integer failed = recovery.deliveries().get(position);
            if (failed != null) {
                // It came back before the restart: it comes back again, with its count.
                returned.add(position, new ReturnedMessages.Returned(recovery.expiries().get(i), level, failed,
                        QueueStore.bodySizeOf(meta)));
            } else {
                waiting.add(position, level, recovery.expiries().get(i), QueueStore.bodySizeOf(meta));
            }
        }
        this.redeliverBelow = recovery.redeliverBelow();
        // What may have been delivered before the restart still may have been at the next one.
        this.deliveredBelow = recovery.redeliverBelow();
        if (dedup.enabled()) {
            rememberRecoveredKeysLocked(positions, recovery.expiries());
        }
        scheduleUnusedCheck();
    }

    /**
     * A deduplicating queue learns the keys of the messages it recovered, reading each one back:
     * a publisher that retries after a crash (its confirm lost) must not add a second copy.
     * Costs one read per recovered message, for deduplicating queues only.
     */
    private void rememberRecoveredKeysLocked(LongDeque positions, LongDeque expiries) {
        for (int i = 0; i < positions.size(); i++) {
            Message m = store.read(positions.get(i));
            if (m != null) {
                dedup.remember(m, positions.get(i), expiries.get(i));
            }
        }
    }

    /**
     * Starts the message TTL timer of a recovered queue. The virtual host calls it once every
     * exchange, queue and binding is restored: messages whose deadline passed while the broker
     * was down expire at once, and their dead letters need the whole topology to find their
     * way (started in attach, they raced recovery and were routed nowhere).
     */
    synchronized void startExpiry() {
        scheduleExpiryCheck();
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public String kindName() {
        return "queue";
    }

    public boolean durable() { return durable; }
    public boolean exclusive() { return exclusive; }
    public boolean autoDelete() { return autoDelete; }
    public Map<String, Object> arguments() { return arguments; }
    public VirtualHost vhost() { return vhost; }

    /** The job semantics in force: arguments combined with the policy that applies. */
    public QueueArguments settings() {
        return settings;
    }

    /** The connection (or other owner) an exclusive queue belongs to; null otherwise. */
    public Object exclusiveOwner() {
        return exclusiveOwner;
    }

    Set<Binding> inbound() {
        return inbound;
    }

    /** Refuses an owner other than the one an exclusive queue belongs to. */
    public void checkAccess(Object owner) {
        if (exclusive && exclusiveOwner != owner) {
            throw lockedError();
        }
    }

    BrokerException lockedError() {
        return BrokerException.of(ErrorKind.RESOURCE_LOCKED,
                "cannot obtain exclusive access to locked queue '%s' in vhost '%s'. It could be originally "
                        + "declared on another connection or the exclusive property value does not match "
                        + "that of the original declaration.", name, vhost.name());
    }

    // ---- policy ----

    /**
     * Applies a policy definition (null: none) on top of the queue's arguments, at once: new
     * limits drop or dead-letter what is now too much, new TTLs and expiry take effect.
     *
     * @throws BrokerException if the definition holds a value the queue cannot take
     */
    public void applyPolicy(Map<String, Object> definition) {
        QueueArguments next = QueueArguments.of(arguments, definition, name, vhost.name());
        synchronized (this) {
            policy = definition == null ? null : new LinkedHashMap<>(definition);
            settings = next;
            dedup.configure(next.deduplication());
            if (!deleted) {
                enforceLengthLimitLocked();
                expireDueLocked(System.currentTimeMillis());
                scheduleExpiryCheck();
                lastUsedMillis = System.currentTimeMillis();
                scheduleUnusedCheck();
                pumpLocked();
            }
        }
        routeDeadLetters();
    }

    /** Records the policy a new queue's settings were made with: nothing to re-apply. */
    synchronized void initialPolicy(Map<String, Object> definition) {
        policy = definition == null ? null : new LinkedHashMap<>(definition);
    }

    /** The policy definition applied last, or null. */
    public synchronized Map<String, Object> policy() {
        return policy;
    }

    // ---- publishing and delivering ----

    /**
     * Appends a message and delivers what the consumers can take. Returns the group-commit
     * generation the message waits for to be durable (0 if it need not wait: transient, or a
     * non-durable queue), {@link #DELETED} if the queue is gone, {@link #REJECTED} if a
     * reject-publish length limit turned it away, or {@link #REFUSED} if the store refused it.
     */
    public long enqueue(Message message) {
        long result;
        synchronized (this) {
            result = enqueueLocked(message, 0);
        }
        routeDeadLetters();
        return result;
    }

    /**
     * As {@link #enqueue}, for a message coming back from a broker-side retry with its
     * {@code x-delivery-count}: it returns as a requeued message does, flagged redelivered,
     * with its count (kept across a restart), ahead of the messages waiting at its level.
     */
    public long enqueueRetried(Message message) {
        int deliveries = Math.max(1, DeadLetters.deliveryCountOf(message));
        long result;
        synchronized (this) {
            result = enqueueLocked(DeadLetters.withoutDeliveryCount(message), deliveries);
        }
        routeDeadLetters();
        return result;
    }

    /** Appends a publish ({@code deliveries} 0) or a retry that came back with its count. */
    private long enqueueLocked(Message message, int deliveries) {
        if (deleted) {
            return DELETED;
        }
        Object dedupKey = dedup.admit(message);
        if (dedupKey == Deduplication.DUPLICATE) {
            // Its twin is in the queue: the publisher's retry is confirmed (once the twin is
            // on disk), not stored twice.
            return durable && message.properties().persistent() ? store.syncGeneration() : 0;
        }
        QueueArguments s = settings;
        int bodySize = message.body().length;
        if (s.hasLengthLimit() && s.overflow() != QueueArguments.Overflow.DROP_HEAD
                && (s.maxLength() >= 0 && readyCount() + 1 > s.maxLength()
                    || s.maxLengthBytes() >= 0 && readyBodyBytes() + bodySize > s.maxLengthBytes())) {
            rejectedTotal++;
            if (s.overflow() == QueueArguments.Overflow.REJECT_PUBLISH_DLX) {
                deadLetter(message, DeadLetter.Reason.MAXLEN);
            }
            return REJECTED;
        }
        MessageProperties props = message.properties();
        boolean persistent = props.persistent();
        long expiresAt = expiresAt(props, s);
        int level = waiting.levelOf(props.priority());
        boolean retried = deliveries > 0;
        // A retry goes through the returned messages, which hand it out with its count.
        boolean nothingAhead = !retried && waiting.isEmpty() && returned.isEmpty();
        Consumer direct = nothingAhead ? consumers.reserveNext() : null;
        if (direct != null && direct.autoAck()) {
            // Settled the moment it is handed out, so there is nothing to keep: it skips the
            // store. Should it never reach its client, requeue stores it then.
            publishedTotal++;
            memory.add(message.size());
            direct.owner().deliver(direct, handOut(NOT_STORED, message, false, 0, expiresAt, level, false));
            return 0;
        }
        long position;
        try {
            position = store.append(message, persistent, level, expiresAt);
        } catch (UncheckedIOException e) {
            log.error("{}: cannot store a message: {}", this, e.getCause().toString());
            if (direct != null) {
                direct.releaseCredit();
            }
            return REFUSED;
        }
        if (!retried) {
            publishedTotal++;
        }
        if (dedupKey != null) {
            dedup.remember(dedupKey, message, position, expiresAt);
        }
        long generation = durable && persistent ? store.syncGeneration() : 0;
        if (direct != null) {
            // Nothing waits ahead of it: straight to a consumer with credit, without passing
            // through the cache and the waiting list. It never counts against a length limit,
            // as in RabbitMQ.
            memory.add(message.size());
            direct.owner().deliver(direct, handOut(position, message, false, 0, expiresAt, level, true));
            return generation;
        }
        if (retried) {
            returned.add(position, new ReturnedMessages.Returned(expiresAt, level, deliveries, bodySize));
            if (durable && persistent) {
                store.recordDeliveries(position, deliveries);
            }
        } else {
            waiting.add(position, level, expiresAt, bodySize);
        }
        cacheIfRoom(position, message);
        if (expiresAt != Long.MAX_VALUE) {
            expireDueLocked(System.currentTimeMillis());
            scheduleExpiryCheck();
        }
        enforceLengthLimitLocked();
        pumpLocked();
        return generation;
    }

    /** When a message published now expires: the lower of the queue's TTL and its own. */
    private static long expiresAt(MessageProperties props, QueueArguments s) {
        long ttl = s.messageTtl();
        String expiration = props.expiration();
        if (expiration != null) {
            long own = Expiration.parse(expiration);
            ttl = ttl < 0 ? own : Math.min(ttl, own);
        }
        return ttl < 0 ? Long.MAX_VALUE : System.currentTimeMillis() + ttl;
    }

    private int readyCount() {
        return waiting.count() + returned.size();
    }

    private long readyBodyBytes() {
        return waiting.bodyBytes() + returned.bodyBytes();
    }

    /** drop-head: while over a limit, the head goes (dead-lettered as maxlen if there is a DLX). */
    private void enforceLengthLimitLocked() {
        QueueArguments s = settings;
        if (!s.hasLengthLimit() || s.overflow() != QueueArguments.Overflow.DROP_HEAD) {
            return;
        }
        while ((s.maxLength() >= 0 && readyCount() > s.maxLength()
                || s.maxLengthBytes() >= 0 && readyBodyBytes() > s.maxLengthBytes())) {
            if (returnedIsNext()) {
                returned.poll();
                drop(returned.headPosition, returned.head.level(), DeadLetter.Reason.MAXLEN);
            } else if (waiting.poll()) {
                drop(waiting.headPosition, waiting.headPriority, DeadLetter.Reason.MAXLEN);
            } else {
                return;
            }
        }
    }

    private void cacheIfRoom(long position, Message m) {
        int size = m.size();
        if (cachedBytes + size <= CACHE_LIMIT && memory.canCache(size)) {
            cache.put(position, m);
            cachedBytes += size;
            memory.add(size);
        }
    }

    /** Delivers waiting messages to consumers with credit, e.g. after credit came back. */
    public void pump() {
        synchronized (this) {
            pumpLocked();
        }
        routeDeadLetters();
    }

    private void pumpLocked() {
        while (!deleted && (!returned.isEmpty() || !waiting.isEmpty())) {
            Consumer c = consumers.reserveNext();
            if (c == null) {
                return;
            }
            QueueEntry e = takeNext(!c.autoAck());
            if (e == null) {
                c.releaseCredit();
                continue;
            }
            c.owner().deliver(c, e);
        }
    }

    /**
     * Takes the next live message and hands it out, loading its body if it is not cached.
     * Expired messages met on the way are expired; a record the store has lost is dropped and
     * logged. Null when nothing is left.
     */
    private QueueEntry takeNext(boolean awaitAck) {
        long now = 0;
        while (true) {
            long position;
            boolean redelivered;
            int deliveries;
            long expiresAt;
            int level;
            if (returnedIsNext()) {
                returned.poll();
                position = returned.headPosition;
                ReturnedMessages.Returned meta = returned.head;
                redelivered = true;
                deliveries = meta.deliveries();
                expiresAt = meta.expiresAt();
                level = meta.level();
            } else if (waiting.poll()) {
                position = waiting.headPosition;
                redelivered = position < redeliverBelow;
                deliveries = 0;
                expiresAt = waiting.headExpiresAt;
                level = waiting.headPriority;
            } else {
                return null;
            }
            if (expiresAt != Long.MAX_VALUE) {
                if (now == 0) {
                    now = System.currentTimeMillis();
                }
                if (expiresAt <= now) {
                    drop(position, level, DeadLetter.Reason.EXPIRED);
                    continue;
                }
            }
            Message m = takeBody(position);
            if (m == null) {
                dedup.release(position);
                store.settle(position, true);
                continue;
            }
            memory.add(m.size());
            if (deliveries > 0) {
                m = DeadLetters.withDeliveryCount(m, deliveries);
            }
            return handOut(position, m, redelivered, deliveries, expiresAt, level, awaitAck);
        }
    }

    /** The body of a waiting message, from the cache or the store (null if lost). */
    private Message takeBody(long position) {
        Message m = cache.remove(position);
        if (m != null) {
            cachedBytes -= m.size();
            memory.release(m.size());
            return m;
        }
        return store.read(position);
    }

    /** Makes the delivery of a message whose memory is counted; settles it now if no ack will come. */
    private QueueEntry handOut(long position, Message m, boolean redelivered, int deliveries, long expiresAt,
                               int level, boolean awaitAck) {
        deliveredBelow = Math.max(deliveredBelow, position + 1);
        QueueEntry e = new QueueEntry(this, position, m, redelivered, deliveries, expiresAt, level);
        deliveredTotal++;
        if (redelivered) {
            redeliveredTotal++;
        }
        if (awaitAck) {
            e.unacked = true;
            unacked++;
        } else {
            settleLocked(e);
        }
        return e;
    }

    /**
     * Removes a waiting message for good: expired, dropped by a length limit, past the
     * delivery limit. With a dead-letter exchange it is dead-lettered, else just settled.
     */
    private void drop(long position, int level, DeadLetter.Reason reason) {
        if (reason == DeadLetter.Reason.EXPIRED) {
            expiredTotal++;
        } else {
            droppedTotal++;
        }
        Message m = settings.hasDeadLetterExchange() ? takeBody(position) : dropCached(position);
        if (m != null && settings.hasDeadLetterExchange()) {
            deadLetter(m, reason);
        }
        dedup.release(position);
        store.settle(position, true);
    }

    private Message dropCached(long position) {
        Message m = cache.remove(position);
        if (m != null) {
            cachedBytes -= m.size();
            memory.release(m.size());
        }
        return m;
    }

    /** Takes the next message for a basic.get, or null if none is waiting. */
    public QueueEntry get(boolean autoAck) {
        QueueEntry e;
        synchronized (this) {
            lastUsedMillis = System.currentTimeMillis();
            e = deleted ? null : takeNext(!autoAck);
        }
        routeDeadLetters();
        return e;
    }

    // ---- settling deliveries ----

    /** Settles acknowledged deliveries and delivers more if credit allows. */
    public void ack(Collection<QueueEntry> entries) {
        synchronized (this) {
            for (QueueEntry e : entries) {
                if (e.unacked) {
                    e.unacked = false;
                    unacked--;
                    ackedTotal++;
                    settleLocked(e);
                }
            }
            pumpLocked();
        }
        routeDeadLetters();
    }

    /**
     * Deliveries rejected or nacked without requeue. With {@code x-retry-max-count}, one that
     * has retries left comes back to this queue after a delay (see {@link #retry}); otherwise
     * it is dead-lettered ("rejected") when the queue has a dead-letter exchange, dropped if not.
     */
    public void discard(Collection<QueueEntry> entries) {
        List<QueueEntry> retries = null;
        synchronized (this) {
            for (QueueEntry e : entries) {
                if (!e.unacked) {
                    continue;
                }
                if (e.deliveries < settings.retryMaxCount()) {
                    if (retries == null) {
                        retries = new ArrayList<>();
                    }
                    // Stays unacknowledged until the schedule has taken it.
                    retries.add(e);
                    continue;
                }
                e.unacked = false;
                unacked--;
                if (settings.hasDeadLetterExchange()) {
                    deadLetter(DeadLetters.withoutDeliveryCount(e.message), DeadLetter.Reason.REJECTED);
                }
                settleLocked(e);
            }
            pumpLocked();
        }
        routeDeadLetters();
        if (retries != null) {
            for (QueueEntry e : retries) {
                retry(e);
            }
        }
    }

    /**
     * A broker-side retry, the n-th delivery of a message to come back: the message, with
     * {@code x-delivery-count} n, goes to the virtual host's schedule, due back in this queue
     * after {@code x-retry-delay * x-retry-delay-multiplier^(n-1)} ms, at most
     * {@code x-retry-max-delay}. The original leaves the queue once the scheduled copy is
     * durable, so a crash in between may deliver it twice but never loses it. Should the
     * schedule refuse it (its disk failed), the message is requeued at once instead.
     * Called without the lock.
     */
    private void retry(QueueEntry e) {
        int n = e.deliveries + 1;
        Message back = DeadLetters.withDeliveryCount(e.message, n);
        DelayedMessages schedule = vhost.delayedMessages();
        long generation = schedule == null ? REFUSED
                : schedule.scheduleForQueue(name, back, System.currentTimeMillis() + settings.retryDelayFor(n));
        synchronized (this) {
            if (generation == REFUSED) {
                log.error("{}: cannot schedule a retry; the message is requeued at once", this);
                requeueLocked(e);
                pumpLocked();
                return;
            }
            e.unacked = false;
            unacked--;
            retriedTotal++;
            if (generation == 0) {
                settleLocked(e);
                return;
            }
        }
        vhost.whenDurable(generation, () -> {
            synchronized (this) {
                settleLocked(e);
            }
        });
    }

    /** The message has left the queue for good: the store records it, memory is given back. */
    private void settleLocked(QueueEntry e) {
        memory.release(e.message.size());
        dedup.release(e.position);
        if (!deleted && e.position != NOT_STORED) {
            store.settle(e.position, e.message.properties().persistent());
        }
    }

    /**
     * Puts deliveries back in line at their original positions, flagged redelivered, each one
     * delivery more. Past the delivery limit a message is dead-lettered ("delivery_limit") or
     * dropped instead. Auto-ack deliveries that never reached their client come back this way
     * too: they were settled when handed out, so they are stored again.
     */
    public void requeue(Collection<QueueEntry> entries) {
        synchronized (this) {
            for (QueueEntry e : entries) {
                requeueLocked(e);
            }
            // Back at the head, as in RabbitMQ: a drop-head limit may drop them now, and they keep
            // their deadlines, so one may be due already or sooner than the waiting heads.
            enforceLengthLimitLocked();
            expireDueLocked(System.currentTimeMillis());
            scheduleExpiryCheck();
            pumpLocked();
        }
        routeDeadLetters();
    }

    private void requeueLocked(QueueEntry e) {
        boolean wasUnacked = e.unacked;
        if (wasUnacked) {
            e.unacked = false;
            unacked--;
        }
        if (deleted) {
            if (wasUnacked) {
                memory.release(e.message.size());
            }
            return;
        }
        Message original = DeadLetters.withoutDeliveryCount(e.message);
        int deliveries = e.deliveries + 1;
        long limit = settings.deliveryLimit();
        if (limit >= 0 && deliveries > limit) {
            droppedTotal++;
            if (settings.hasDeadLetterExchange()) {
                deadLetter(original, DeadLetter.Reason.DELIVERY_LIMIT);
            }
            if (wasUnacked) {
                settleLocked(e);
            }
            return;
        }
        long position = e.position;
        if (wasUnacked) {
            memory.release(e.message.size());
        } else {
            // An auto-ack delivery was settled (and its memory given back) when handed out.
            try {
                position = store.append(original, original.properties().persistent(), e.level, e.expiresAt);
            } catch (UncheckedIOException ex) {
                log.error("{}: cannot store a requeued message: {}", this, ex.getCause().toString());
                return;
            }
            // Its key was released when it was handed out without an ack; it holds it again.
            dedup.remember(original, position, e.expiresAt);
        }
        returned.add(position, new ReturnedMessages.Returned(e.expiresAt, e.level, deliveries, original.body().length));
        if (durable && original.properties().persistent()) {
            store.recordDeliveries(position, deliveries);
        }
        cacheIfRoom(position, original);
    }

    public void requeue(QueueEntry entry) {
        requeue(List.of(entry));
    }

    /**
     * Whether the next message to hand out is a returned one: it goes back to its own priority
     * level (not ahead of higher waiting messages, as in RabbitMQ) and, within its level, ahead
     * of the messages still waiting.
     */
    private boolean returnedIsNext() {
        if (returned.isEmpty()) {
            return false;
        }
        return !waiting.peek() || returned.headLevel() >= waiting.headPriority;
    }

    // ---- dead-lettering ----

    private void deadLetter(Message m, DeadLetter.Reason reason) {
        deadLetteredTotal++;
        deadLetters.add(new DeadLetter(m, reason, settings.deadLetterExchange(), settings.deadLetterRoutingKey()));
        hasDeadLetters = true;
    }

    /** Routes the dead letters collected under the lock, now that it is released. */
    private void routeDeadLetters() {
        if (!hasDeadLetters) {
            return;
        }
        List<DeadLetter> batch;
        synchronized (this) {
            batch = deadLetters;
            deadLetters = new ArrayList<>();
            hasDeadLetters = false;
        }
        if (!batch.isEmpty()) {
            vhost.deadLetter(this, batch);
        }
    }

    // ---- timers: message TTL and queue expiry ----

    /** Expires what is due at the heads: of the returned messages (served first), then of the waiting ones. */
    private void expireDueLocked(long now) {
        while (returned.pollExpired(now)) {
            drop(returned.headPosition, returned.head.level(), DeadLetter.Reason.EXPIRED);
        }
        while (waiting.pollExpired(now)) {
            drop(waiting.headPosition, waiting.headPriority, DeadLetter.Reason.EXPIRED);
        }
    }

    /** Makes sure a timer fires when the earliest head (returned or waiting) expires. */
    private void scheduleExpiryCheck() {
        long next = Math.min(waiting.nextExpiry(), returned.nextExpiry());
        if (next == Long.MAX_VALUE || deleted || next >= expiryTimerAt) {
            return;
        }
        if (expiryTimer != null) {
            expiryTimer.cancel(false);
        }
        expiryTimerAt = next;
        long delay = Math.max(0, next - System.currentTimeMillis());
        expiryTimer = vhost.timer().schedule(this::onExpiryTimer, delay, TimeUnit.MILLISECONDS);
    }

    private void onExpiryTimer() {
        synchronized (this) {
            expiryTimer = null;
            expiryTimerAt = Long.MAX_VALUE;
            if (!deleted) {
                expireDueLocked(System.currentTimeMillis());
                scheduleExpiryCheck();
            }
        }
        routeDeadLetters();
    }

    /** The queue was used (declared, read with basic.get): its x-expires clock restarts. */
    public synchronized void touch() {
        lastUsedMillis = System.currentTimeMillis();
    }

    private void scheduleUnusedCheck() {
        long expires = settings.expires();
        if (unusedTimer != null) {
            unusedTimer.cancel(false);
            unusedTimer = null;
        }
        if (expires < 0 || deleted) {
            return;
        }
        long delay = Math.max(1, lastUsedMillis + expires - System.currentTimeMillis());
        unusedTimer = vhost.timer().schedule(this::onUnusedTimer, delay, TimeUnit.MILLISECONDS);
    }

    private void onUnusedTimer() {
        boolean expire;
        synchronized (this) {
            unusedTimer = null;
            if (deleted) {
                return;
            }
            long expires = settings.expires();
            expire = expires >= 0 && consumers.isEmpty()
                    && System.currentTimeMillis() - lastUsedMillis >= expires;
            if (!expire) {
                if (!consumers.isEmpty()) {
                    lastUsedMillis = System.currentTimeMillis();
                }
                scheduleUnusedCheck();
            }
        }
        if (expire) {
            log.info("{} in vhost '{}' expired after {} ms unused", this, vhost.name(), settings.expires());
            vhost.expireQueue(this);
        }
    }

    // ---- consumers ----

    /** Adds a consumer; refused if exclusivity forbids it. Starts delivering at once. */
    public void addConsumer(Consumer c) {
        synchronized (this) {
            if (deleted) {
                throw BrokerException.of(ErrorKind.NOT_FOUND, "no queue '%s' in vhost '%s'", name, vhost.name());
            }
            if (c.exclusive() && (!consumers.isEmpty() || settings.singleActiveConsumer())
                    || hasExclusiveConsumerLocked()) {
                throw BrokerException.of(ErrorKind.ACCESS_REFUSED,
                        "queue '%s' in vhost '%s' in exclusive use", name, vhost.name());
            }
            consumers.add(c);
            hadConsumers = true;
            pumpLocked();
        }
        routeDeadLetters();
    }

    private boolean hasExclusiveConsumerLocked() {
        for (Consumer c : consumers.snapshot()) {
            if (c.exclusive()) {
                return true;
            }
        }
        return false;
    }

    /**
     * Removes a consumer. An auto-delete queue whose last consumer leaves is deleted, as in
     * RabbitMQ. With a single active consumer, the next one takes over.
     */
    public void removeConsumer(Consumer c) {
        boolean deleteNow;
        synchronized (this) {
            c.markCancelled();
            if (!consumers.remove(c)) {
                return;
            }
            if (consumers.isEmpty()) {
                lastUsedMillis = System.currentTimeMillis();
            }
            deleteNow = autoDelete && hadConsumers && consumers.isEmpty() && !deleted;
            if (!deleteNow) {
                pumpLocked();
            }
        }
        if (deleteNow) {
            vhost.autoDeleteQueue(this);
        } else {
            routeDeadLetters();
        }
    }

    // ---- administration ----

    /** Drops the waiting messages (not the unacknowledged ones); returns how many. */
    public synchronized int purge() {
        int n = readyCount();
        LongDeque all = waiting.drainPositions();
        for (int i = 0; i < all.size(); i++) {
            dedup.release(all.get(i));
            store.settle(all.get(i), true);
        }
        for (long position : returned.drainPositions()) {
            dedup.release(position);
            store.settle(position, true);
        }
        dropCacheLocked();
        return n;
    }

    private void dropCacheLocked() {
        memory.release(cachedBytes);
        cachedBytes = 0;
        cache.clear();
    }

    /** Marks the queue deleted, drops its messages and store; returns the consumers to notify. */
    synchronized List<Consumer> markDeleted() {
        deleted = true;
        dedup.clear();
        waiting.drainPositions();
        returned.drainPositions();
        dropCacheLocked();
        if (expiryTimer != null) {
            expiryTimer.cancel(false);
        }
        if (unusedTimer != null) {
            unusedTimer.cancel(false);
        }
        if (store != null) {
            store.delete();
        }
        List<Consumer> all = consumers.snapshot();
        for (Consumer c : all) {
            c.markCancelled();
            consumers.remove(c);
        }
        return all;
    }

    /**
     * Closes the store at a clean shutdown, noting which messages were delivered so that only
     * those come back flagged redelivered.
     */
    public synchronized void close() {
        if (expiryTimer != null) {
            expiryTimer.cancel(false);
        }
        if (unusedTimer != null) {
            unusedTimer.cancel(false);
        }
        if (!deleted && store != null) {
            store.close(deliveredBelow);
        }
    }

    public synchronized boolean deleted() {
        return deleted;
    }

    public synchronized int messageCount() {
        return readyCount();
    }

    public synchronized int consumerCount() {
        return consumers.size();
    }

    /** Messages not enqueued since start because their twin was in the queue. */
    public long deduplicated() {
        return dedup.duplicates();
    }

    public synchronized int unackedCount() {
        return unacked;
    }

    public synchronized QueueStats stats() {
        return new QueueStats(readyCount(), unacked, consumers.size(), readyBodyBytes(), publishedTotal,
                deliveredTotal, redeliveredTotal, ackedTotal, expiredTotal, deadLetteredTotal, rejectedTotal,
                droppedTotal, retriedTotal);
    }

    /** Bytes this queue's store holds on disk. */
    public synchronized long diskBytes() {
        return store == null || deleted ? 0 : store.diskBytes();
    }

    /**
     * A consistent snapshot of a queue's counters: ready messages (and their body bytes),
     * unacknowledged, consumers, and totals since start of published, delivered, redelivered,
     * acked, expired, dead-lettered, refused by a reject-publish limit, dropped (by drop-head
     * or the delivery limit), and sent to the schedule for a broker-side retry.
     */
    public record QueueStats(int ready, int unacked, int consumers, long readyBytes, long published, long delivered,
                             long redelivered, long acked, long expired, long deadLettered, long rejected,
                             long dropped, long retried) {}

    @Override
    public String toString() {
        return "queue '" + name + "'";
    }
}
