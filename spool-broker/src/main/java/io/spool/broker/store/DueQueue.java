package io.spool.broker.store;

import io.spool.broker.util.LongDeque;
import io.spool.broker.util.LongPairMinHeap;
import java.util.ArrayList;
import java.util.List;

/**
 * The part of the schedule the scheduler thread needs to deliver on time: the messages about
 * to fall due, as (due time, locator) pairs in a min-heap, sixteen bytes each; when the
 * scheduler next looks; and the messages it has delivered, waiting to be settled. It has its
 * own lock, apart from the {@link ScheduleStore}'s, so that taking and settling due messages
 * never waits for a write, a file creation or an fsync that holds the store.
 *
 * <p>Threads: every method takes this object's monitor, briefly, and calls nothing outside.
 * The store may call in while holding its own lock, never the other way round.
 */
final class DueQueue {

    private final LongPairMinHeap heap = new LongPairMinHeap();
    /** When the scheduler will next look; an entry due earlier must wake it. */
    private long wakeAt = Long.MIN_VALUE;
    /** Delivered messages, and the generation each one's enqueues wait for, not yet settled. */
    private List<ScheduledMessage> delivered = new ArrayList<>();
    private LongDeque generations = new LongDeque();
    /** Records that failed their checks when due, not yet settled. */
    private LongDeque unreadable = new LongDeque();

    /** Adds an entry; true if it is due before the scheduler planned to look, so it must be woken. */
    synchronized boolean add(long due, long locator) {
        heap.add(due, locator);
        return due < wakeAt;
    }

    synchronized int size() {
        return heap.size();
    }

    /** Whether something due at {@code at} must wake the scheduler. */
    synchronized boolean wakeNeeded(long at) {
        return at < wakeAt;
    }

    /** The scheduler is awake: nobody needs to wake it until it plans its next sleep. */
    synchronized void awake() {
        wakeAt = Long.MIN_VALUE;
    }

    /**
     * Plans the scheduler's next look: the earlier of {@code next} and the first due entry.
     * With {@code binding}, an entry added due before that time wakes it.
     */
    synchronized long plan(long next, boolean binding) {
        if (!heap.isEmpty()) {
            next = Math.min(next, heap.peekKey());
        }
        if (binding) {
            wakeAt = next;
        }
        return next;
    }

    /** Takes up to {@code max} locators due at {@code now}, earliest first; returns how many. */
    synchronized int take(long now, int max, LongDeque out) {
        int n = 0;
        while (n < max && !heap.isEmpty() && heap.peekKey() <= now) {
            out.addLast(heap.peekValue());
            heap.remove();
            n++;
        }
        return n;
    }

    synchronized void delivered(ScheduledMessage m, long generation) {
        delivered.add(m);
        generations.addLast(generation);
    }

    synchronized void unreadable(long locator) {
        unreadable.addLast(locator);
    }

    /** The settles noted since the last call, for the store to apply under its lock. */
    record Settles(List<ScheduledMessage> delivered, LongDeque generations, LongDeque unreadable) {
        boolean isEmpty() {
            return delivered.isEmpty() && unreadable.isEmpty();
        }
    }

    private static final Settles NONE = new Settles(List.of(), new LongDeque(), new LongDeque());

    synchronized Settles drainSettles() {
        if (delivered.isEmpty() && unreadable.isEmpty()) {
            return NONE;
        }
        Settles s = new Settles(delivered, generations, unreadable);
        delivered = new ArrayList<>();
        generations = new LongDeque();
        unreadable = new LongDeque();
        return s;
    }

    synchronized void clear() {
        heap.clear();
    }
}
