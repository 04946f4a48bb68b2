package io.spool.broker.store;

import java.util.ArrayList;
import java.util.List;

/**
 * The scheduled messages of one level whose due times fall in one time slice
 * ({@code [index * width, (index + 1) * width)} milliseconds since the epoch), in one or more
 * {@link SlicePart} files in arrival order. A slice is read once, front to back, through a
 * cursor: a level-0 slice into the due heap shortly before it starts, a coarser slice into
 * finer ones (a cascade).
 *
 * <p>Thread: guarded by the owning {@link ScheduleStore}'s lock.
 */
final class ScheduleSlice {

    final int level;
    final long index;
    final List<SlicePart> parts = new ArrayList<>(1);
    /** Level 0: its records belong in the due heap. Coarser: it is being cascaded, closed to appends. */
    boolean reading;
    /** The read cursor: the part, and the offset in it of the next record not yet read. */
    int readPart;
    long readOffset;

    ScheduleSlice(int level, long index) {
        this.level = level;
        this.index = index;
    }

    SlicePart last() {
        return parts.get(parts.size() - 1);
    }

    /** True when every record appended so far has been read. */
    boolean caughtUp() {
        return readPart == parts.size() - 1 && readOffset == last().end() || parts.isEmpty();
    }

    boolean fullySettled() {
        for (SlicePart p : parts) {
            if (p.segment.settled < p.segment.records) {
                return false;
            }
        }
        return true;
    }

    @Override
    public String toString() {
        return "level " + level + " slice " + index;
    }
}
