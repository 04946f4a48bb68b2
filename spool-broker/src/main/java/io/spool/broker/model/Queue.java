package io.spool.broker.model;

import io.netty.util.collection.LongObjectHashMap;
import io.spool.broker.store.QueueStore;
import io.spool.broker.util.LongDeque;
import io.spool.broker.util.LongMinHeap;
import java.io.UncheckedIOException;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A queue: messages waiting in order, the deliveries awaiting acknowledgement, and the consumers
 * that share it round robin.
 *
 * <p>Every message is appended to the queue's {@link QueueStore}; in memory the queue keeps the
 * positions of waiting messages (eight bytes each) and a bounded cache of recent bodies, so its
 * heap follows in-flight work rather than depth. A message whose body is not cached is read
 * back from the store when it is handed out.
 *
 * <p>Threads: every field below the constructor's is guarded by this object's monitor, which
 * is also the store's lock. Any thread may call in (publishers route here from their event
 * loops, consumers ack from theirs). While holding the monitor a queue calls only
 * {@link ConsumerOwner} methods, which never call back, so no thread ever holds two queue
 * locks. The topology lock of the virtual host may be held when a queue lock is taken, never
 * the other way round.
 */
public final class Queue implements Destination {

    private static final Logger log = LoggerFactory.getLogger(Queue.class);

    /** Result of {@link #enqueue} when the queue is gone. */
    public static final long DELETED = -1;
    /** Result of {@link #enqueue} when the store refused the message (the disk failed). */
    public static final long REFUSED = -2;
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

    private QueueStore store;
    /** Positions of waiting messages, oldest first. */
    private final LongDeque ready = new LongDeque();
    /** Positions of messages that came back (nack, reject, closed channel); served first. */
    private final LongMinHeap returned = new LongMinHeap();
    /** Bodies of waiting messages kept in memory, by position. */
    private final LongObjectHashMap<Message> cache = new LongObjectHashMap<>();
    private long cachedBytes;
    /** Recovered messages below this position may have been delivered before the restart. */
    private long redeliverBelow;
    /** Every position below this one has (or, before a restart, may have) been handed out at least once. */
    private long deliveredBelow;
    private final ConsumerRing consumers = new ConsumerRing();
    private int unacked;
    private boolean hadConsumers;
    private boolean deleted;
    private long publishedTotal;
    private long deliveredTotal;
    private long redeliveredTotal;
    private long ackedTotal;

    Queue(VirtualHost vhost, String name, boolean durable, boolean exclusive, boolean autoDelete,
          Map<String, Object> arguments, Object exclusiveOwner, MessageMemory memory) {
        this.vhost = vhost;
        this.name = name;
        this.durable = durable;
        this.exclusive = exclusive;
        this.autoDelete = autoDelete;
        this.arguments = arguments == null ? Map.of() : Collections.unmodifiableMap(arguments);
        this.exclusiveOwner = exclusiveOwner;
        this.memory = memory;
    }

    /** Gives a new queue its (empty) store. Called once, before the queue is published. */
    synchronized void attach(QueueStore newStore) {
        this.store = newStore;
    }

    /** Gives a recovered queue its store and the messages found in it. */
    synchronized void attach(QueueStore.Recovery recovery) {
        this.store = recovery.store();
        LongDeque positions = recovery.positions();
        for (int i = 0; i < positions.size(); i++) {
            ready.addLast(positions.get(i));
        }
        this.redeliverBelow = recovery.redeliverBelow();
        // What may have been delivered before the restart still may have been at the next one.
        this.deliveredBelow = recovery.redeliverBelow();
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

    // ---- publishing and delivering ----

    /**
     * Appends a message and delivers what the consumers can take. Returns the group-commit
     * generation the message waits for to be durable (0 if it need not wait: transient, or a
     * non-durable queue), {@link #DELETED} if the queue is gone, or {@link #REFUSED} if the
     * store could not take it.
     */
    public synchronized long enqueue(Message message) {
        if (deleted) {
            return DELETED;
        }
        boolean persistent = message.properties().persistent();
        long position;
        try {
            position = store.append(message, persistent);
        } catch (UncheckedIOException e) {
            log.error("{}: cannot store a message: {}", this, e.getCause().toString());
            return REFUSED;
        }
        publishedTotal++;
        long generation = durable && persistent ? store.syncGeneration() : 0;
        if (ready.isEmpty() && returned.isEmpty() && !deleted) {
            // Nothing waits ahead of it: straight to a consumer with credit, if there is one,
            // without passing through the cache and the position list.
            Consumer c = consumers.reserveNext();
            if (c != null) {
                memory.add(message.size());
                c.owner().deliver(c, handOut(position, message, false, !c.autoAck()));
                return generation;
            }
        }
        ready.addLast(position);
        cacheIfRoom(position, message);
        pumpLocked();
        return generation;
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
    public synchronized void pump() {
        pumpLocked();
    }

    private void pumpLocked() {
        while (!deleted && (!returned.isEmpty() || !ready.isEmpty())) {
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
     * Takes the next waiting message, loading its body if it is not cached. Returns null if the
     * store has lost it (a record that fails its CRC), which is dropped and logged.
     */
    private QueueEntry takeNext(boolean awaitAck) {
        long position;
        boolean redelivered;
        if (!returned.isEmpty()) {
            position = returned.poll();
            redelivered = true;
        } else {
            position = ready.pollFirst();
            redelivered = position < redeliverBelow;
        }
        Message m = cache.remove(position);
        if (m != null) {
            cachedBytes -= m.size();
        } else {
            m = store.read(position);
            if (m == null) {
                store.settle(position, true);
                return null;
            }
            memory.add(m.size());
        }
        return handOut(position, m, redelivered, awaitAck);
    }

    /** Makes the delivery of a message whose memory is counted; settles it now if no ack will come. */
    private QueueEntry handOut(long position, Message m, boolean redelivered, boolean awaitAck) {
        deliveredBelow = Math.max(deliveredBelow, position + 1);
        QueueEntry e = new QueueEntry(this, position, m, redelivered);
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

    /** Takes the next message for a basic.get, or null if none is waiting. */
    public synchronized QueueEntry get(boolean autoAck) {
        while (!deleted && (!returned.isEmpty() || !ready.isEmpty())) {
            QueueEntry e = takeNext(!autoAck);
            if (e != null) {
                return e;
            }
        }
        return null;
    }

    // ---- settling deliveries ----

    /** Settles acknowledged deliveries and delivers more if credit allows. */
    public synchronized void ack(Collection<QueueEntry> entries) {
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

    /** Drops deliveries rejected without requeue. */
    public synchronized void discard(Collection<QueueEntry> entries) {
        for (QueueEntry e : entries) {
            if (e.unacked) {
                e.unacked = false;
                unacked--;
                settleLocked(e);
            }
        }
        pumpLocked();
    }

    /** The message has left the queue for good: the store records it, memory is given back. */
    private void settleLocked(QueueEntry e) {
        memory.release(e.message.size());
        if (!deleted) {
            store.settle(e.position, e.message.properties().persistent());
        }
    }

    /**
     * Puts deliveries back in line at their original positions, flagged redelivered. Auto-ack
     * deliveries that never reached their client come back this way too: they were settled when
     * handed out, so they are stored again.
     */
    public synchronized void requeue(Collection<QueueEntry> entries) {
        for (QueueEntry e : entries) {
            if (deleted) {
                if (e.unacked) {
                    e.unacked = false;
                    unacked--;
                    memory.release(e.message.size());
                }
                continue;
            }
            long position = e.position;
            if (e.unacked) {
                e.unacked = false;
                unacked--;
                memory.release(e.message.size());
            } else {
                try {
                    position = store.append(e.message, e.message.properties().persistent());
                } catch (UncheckedIOException ex) {
                    log.error("{}: cannot store a requeued message: {}", this, ex.getCause().toString());
                    continue;
                }
            }
            returned.add(position);
            cacheIfRoom(position, e.message);
        }
        pumpLocked();
    }

    public void requeue(QueueEntry entry) {
        requeue(List.of(entry));
    }

    // ---- consumers ----

    /** Adds a consumer; refused if exclusivity forbids it. Starts delivering at once. */
    public synchronized void addConsumer(Consumer c) {
        if (deleted) {
            throw BrokerException.of(ErrorKind.NOT_FOUND, "no queue '%s' in vhost '%s'", name, vhost.name());
        }
        if (c.exclusive() && !consumers.isEmpty() || hasExclusiveConsumerLocked()) {
            throw BrokerException.of(ErrorKind.ACCESS_REFUSED,
                    "queue '%s' in vhost '%s' in exclusive use", name, vhost.name());
        }
        consumers.add(c);
        hadConsumers = true;
        pumpLocked();
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
     * RabbitMQ.
     */
    public void removeConsumer(Consumer c) {
        boolean deleteNow;
        synchronized (this) {
            c.markCancelled();
            if (!consumers.remove(c)) {
                return;
            }
            deleteNow = autoDelete && hadConsumers && consumers.isEmpty() && !deleted;
        }
        if (deleteNow) {
            vhost.autoDeleteQueue(this);
        }
    }

    // ---- administration ----

    /** Drops the waiting messages (not the unacknowledged ones); returns how many. */
    public synchronized int purge() {
        int n = ready.size() + returned.size();
        while (!ready.isEmpty()) {
            store.settle(ready.pollFirst(), true);
        }
        while (!returned.isEmpty()) {
            store.settle(returned.poll(), true);
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
        ready.clear();
        returned.clear();
        dropCacheLocked();
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
        if (!deleted && store != null) {
            store.close(deliveredBelow);
        }
    }

    public synchronized boolean deleted() {
        return deleted;
    }

    public synchronized int messageCount() {
        return ready.size() + returned.size();
    }

    public synchronized int consumerCount() {
        return consumers.size();
    }

    public synchronized int unackedCount() {
        return unacked;
    }

    public synchronized QueueStats stats() {
        return new QueueStats(ready.size() + returned.size(), unacked, consumers.size(),
                publishedTotal, deliveredTotal, redeliveredTotal, ackedTotal);
    }

    /** Bytes this queue's store holds on disk. */
    public synchronized long diskBytes() {
        return store == null || deleted ? 0 : store.diskBytes();
    }

    /** A consistent snapshot of a queue's counters. */
    public record QueueStats(int ready, int unacked, int consumers, long published, long delivered,
                             long redelivered, long acked) {}

    @Override
    public String toString() {
        return "queue '" + name + "'";
    }
}
