package io.spool.broker.model;

import java.util.ArrayDeque;
import java.util.Collection;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.Set;

/**
 * A queue: messages waiting in order, the deliveries awaiting acknowledgement, and the consumers
 * that share it round robin.
 *
 * <p>Threads: every field below the constructor's is guarded by this object's monitor. Any
 * thread may call in (publishers route here from their event loops, consumers ack from theirs).
 * While holding the monitor a queue calls only {@link ConsumerOwner} methods, which never call
 * back, so no thread ever holds two queue locks. The topology lock of the virtual host may be
 * held when a queue lock is taken, never the other way round.
 */
public final class Queue implements Destination {

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

    private final ArrayDeque<QueueEntry> ready = new ArrayDeque<>();
    /** Entries that came back (nack, reject, a closed channel), served before {@link #ready}. */
    private final PriorityQueue<QueueEntry> returned =
            new PriorityQueue<>(Comparator.comparingLong((QueueEntry e) -> e.seq));
    private final ConsumerRing consumers = new ConsumerRing();
    private long nextSeq;
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

    /** Appends a message and delivers what the consumers can take. False if the queue is gone. */
    public synchronized boolean enqueue(Message message) {
        if (deleted) {
            return false;
        }
        ready.addLast(new QueueEntry(this, nextSeq++, message));
        memory.add(message.size());
        publishedTotal++;
        pumpLocked();
        return true;
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
            QueueEntry e = takeNext();
            handOut(e, !c.autoAck());
            c.owner().deliver(c, e);
        }
    }

    private QueueEntry takeNext() {
        QueueEntry e = returned.poll();
        return e != null ? e : ready.pollFirst();
    }

    private void handOut(QueueEntry e, boolean awaitAck) {
        deliveredTotal++;
        if (e.redelivered) {
            redeliveredTotal++;
        }
        if (awaitAck) {
            e.unacked = true;
            unacked++;
        } else {
            memory.release(e.message.size());
        }
    }

    /** Takes the next message for a basic.get, or null if none is waiting. */
    public synchronized QueueEntry get(boolean autoAck) {
        if (deleted) {
            return null;
        }
        QueueEntry e = takeNext();
        if (e != null) {
            handOut(e, !autoAck);
        }
        return e;
    }

    // ---- settling deliveries ----

    /** Settles acknowledged deliveries and delivers more if credit allows. */
    public synchronized void ack(Collection<QueueEntry> entries) {
        for (QueueEntry e : entries) {
            settleLocked(e);
            ackedTotal++;
        }
        pumpLocked();
    }

    /** Drops deliveries rejected without requeue. */
    public synchronized void discard(Collection<QueueEntry> entries) {
        for (QueueEntry e : entries) {
            settleLocked(e);
        }
        pumpLocked();
    }

    private void settleLocked(QueueEntry e) {
        if (e.unacked) {
            e.unacked = false;
            unacked--;
            memory.release(e.message.size());
        }
    }

    /**
     * Puts deliveries back in line at their original positions, flagged redelivered. Auto-ack
     * deliveries that never reached their client come back this way too.
     */
    public synchronized void requeue(Collection<QueueEntry> entries) {
        for (QueueEntry e : entries) {
            if (e.unacked) {
                e.unacked = false;
                unacked--;
            } else {
                memory.add(e.message.size());
            }
            if (deleted) {
                memory.release(e.message.size());
                continue;
            }
            e.redelivered = true;
            returned.add(e);
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
        releaseWaitingLocked();
        return n;
    }

    private void releaseWaitingLocked() {
        long bytes = 0;
        for (QueueEntry e : ready) {
            bytes += e.message.size();
        }
        for (QueueEntry e : returned) {
            bytes += e.message.size();
        }
        ready.clear();
        returned.clear();
        memory.release(bytes);
    }

    /** Marks the queue deleted, drops its messages; returns the consumers to notify. */
    synchronized List<Consumer> markDeleted() {
        deleted = true;
        releaseWaitingLocked();
        List<Consumer> all = consumers.snapshot();
        for (Consumer c : all) {
            c.markCancelled();
            consumers.remove(c);
        }
        return all;
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

    /** A consistent snapshot of a queue's counters. */
    public record QueueStats(int ready, int unacked, int consumers, long published, long delivered,
                             long redelivered, long acked) {}

    @Override
    public String toString() {
        return "queue '" + name + "'";
    }
}
