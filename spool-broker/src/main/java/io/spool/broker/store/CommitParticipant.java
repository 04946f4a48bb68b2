package io.spool.broker.store;

import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Something the group commit writes out and fsyncs: a queue's store, or the schedule of
 * delayed messages. A participant appends under its own lock, enlists itself with
 * {@link GroupCommit#enlist} and only then takes a generation, so a commit that counts the
 * generation as durable has found it in its list (see {@link GroupCommit}).
 */
abstract class CommitParticipant {

    /** Set while the participant waits in the commit's list, so it is listed only once. */
    final AtomicBoolean enlisted = new AtomicBoolean();

    /**
     * First half of a group commit, on the committing thread: writes buffered records to their
     * files under the participant's lock; returns the segments to fsync, or an empty list.
     */
    abstract List<Segment> flushForCommit();
}
