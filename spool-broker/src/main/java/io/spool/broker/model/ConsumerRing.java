package io.spool.broker.model;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * A queue's consumers in the order they take turns: grouped by priority (highest first), round
 * robin within a group. A lower group gets a message only when every consumer of the higher
 * groups is out of credit. Guarded by the owning queue's lock.
 */
final class ConsumerRing {

    /** With a single active consumer, only {@link #active} receives; the rest wait their turn. */
    private final boolean singleActive;
    private Consumer active;
    private final List<Consumer> all = new ArrayList<>();
    private Consumer[][] groups = new Consumer[0][];
    private int[] cursors = new int[0];

    ConsumerRing(boolean singleActive) {
        this.singleActive = singleActive;
    }

    void add(Consumer c) {
        all.add(c);
        regroup();
        if (singleActive && active == null) {
            active = c;
        }
    }

    boolean remove(Consumer c) {
        boolean removed = all.remove(c);
        if (removed) {
            regroup();
            if (c == active) {
                // Failover: the highest priority, then the longest waiting, as RabbitMQ picks.
                active = groups.length == 0 ? null : groups[0][0];
            }
        }
        return removed;
    }

    int size() {
        return all.size();
    }

    boolean isEmpty() {
        return all.isEmpty();
    }

    List<Consumer> snapshot() {
        return List.copyOf(all);
    }

    /** The next consumer in turn that can take a delivery, with its credit reserved; or null. */
    Consumer reserveNext() {
        if (singleActive) {
            return active != null && active.tryReserve() ? active : null;
        }
        Consumer[][] gs = groups;
        for (int g = 0; g < gs.length; g++) {
            Consumer[] group = gs[g];
            int n = group.length;
            int start = cursors[g];
            for (int i = 0; i < n; i++) {
                int idx = start + i;
                if (idx >= n) {
                    idx -= n;
                }
                Consumer c = group[idx];
                if (c.tryReserve()) {
                    cursors[g] = idx + 1 == n ? 0 : idx + 1;
                    return c;
                }
            }
        }
        return null;
    }

    private void regroup() {
        List<Consumer> sorted = new ArrayList<>(all);
        sorted.sort(Comparator.comparingInt(Consumer::priority).reversed());
        List<Consumer[]> result = new ArrayList<>();
        int i = 0;
        while (i < sorted.size()) {
            int j = i;
            while (j < sorted.size() && sorted.get(j).priority() == sorted.get(i).priority()) {
                j++;
            }
            result.add(sorted.subList(i, j).toArray(new Consumer[0]));
            i = j;
        }
        groups = result.toArray(new Consumer[0][]);
        cursors = new int[groups.length];
    }
}
