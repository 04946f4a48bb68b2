package io.spool.broker.amqp;

import io.spool.broker.model.Consumer;
import io.spool.broker.model.QueueEntry;
import java.util.ArrayList;
import java.util.List;

/**
 * A channel's deliveries awaiting acknowledgement, by delivery tag. Tags only grow, and acks
 * mostly arrive in order, so the deliveries sit in a ring indexed by {@code tag - firstTag}:
 * add, find and remove are O(1) and a multiple ack walks only what it settles. Tags that need
 * no ack (auto-ack deliveries) leave holes that the head skips.
 *
 * <p>Thread: the owning connection's event loop.
 */
final class UnackedDeliveries {

    /** One delivery awaiting its ack: who got it (null for basic.get) and what it was. */
    record Delivery(long tag, Consumer consumer, QueueEntry entry, long deliveredAtNanos) {}

    private Delivery[] ring = new Delivery[16];
    private int head;
    /** Slots in use from head, holes included. */
    private int span;
    private int count;
    private long firstTag;

    int size() {
        return count;
    }

    boolean isEmpty() {
        return count == 0;
    }

    void add(long tag, Consumer consumer, QueueEntry entry) {
        if (count == 0) {
            head = 0;
            span = 0;
            firstTag = tag;
        }
        long offset = tag - firstTag;
        if (offset < span) {
            throw new IllegalStateException("delivery tags must grow: " + tag);
        }
        while (offset >= ring.length) {
            grow();
        }
        ring[(head + (int) offset) & (ring.length - 1)] = new Delivery(tag, consumer, entry, System.nanoTime());
        span = (int) offset + 1;
        count++;
    }

    /**
     * Puts back a delivery removed earlier (a rolled-back transaction's acks), wherever its tag
     * falls.
     */
    void restore(Delivery d) {
        if (count == 0 || d.tag() >= firstTag + span) {
            add(d.tag(), d.consumer(), d.entry());
            return;
        }
        if (d.tag() < firstTag) {
            int extra = (int) (firstTag - d.tag());
            while (span + extra > ring.length) {
                grow();
            }
            head = (head - extra) & (ring.length - 1);
            span += extra;
            firstTag = d.tag();
        }
        int slot = (head + (int) (d.tag() - firstTag)) & (ring.length - 1);
        if (ring[slot] == null) {
            ring[slot] = d;
            count++;
        }
    }

    private void grow() {
        Delivery[] bigger = new Delivery[ring.length * 2];
        for (int i = 0; i < span; i++) {
            bigger[i] = ring[(head + i) & (ring.length - 1)];
        }
        ring = bigger;
        head = 0;
    }

    /** Removes and returns one delivery, or null if the tag is not awaiting an ack. */
    Delivery remove(long tag) {
        long offset = tag - firstTag;
        if (count == 0 || offset < 0 || offset >= span) {
            return null;
        }
        int slot = (head + (int) offset) & (ring.length - 1);
        Delivery d = ring[slot];
        if (d == null) {
            return null;
        }
        ring[slot] = null;
        count--;
        skipHoles();
        return d;
    }

    /** Removes every delivery with a tag up to and including {@code tag}, oldest first. */
    List<Delivery> removeUpTo(long tag, List<Delivery> into) {
        while (count > 0 && firstTag <= tag) {
            Delivery d = ring[head];
            if (d != null) {
                into.add(d);
                ring[head] = null;
                count--;
            }
            advance();
        }
        if (count == 0) {
            span = 0;
        }
        return into;
    }

    /** Removes every delivery, oldest first. */
    List<Delivery> removeAll() {
        List<Delivery> all = new ArrayList<>(count);
        removeUpTo(Long.MAX_VALUE, all);
        return all;
    }

    /** The delivery waiting longest for its ack, or null. */
    Delivery oldest() {
        return count == 0 ? null : ring[head];
    }

    boolean contains(long tag) {
        long offset = tag - firstTag;
        return count > 0 && offset >= 0 && offset < span
                && ring[(head + (int) offset) & (ring.length - 1)] != null;
    }

    private void advance() {
        head = (head + 1) & (ring.length - 1);
        span--;
        firstTag++;
    }

    private void skipHoles() {
        if (count == 0) {
            span = 0;
            return;
        }
        while (ring[head] == null) {
            advance();
        }
    }
}
