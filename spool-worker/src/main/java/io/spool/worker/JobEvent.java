package io.spool.worker;

/**
 * Something that happened to a job, as published on the events exchange (JSON of this record).
 *
 * @param type       what happened
 * @param jobId      the job's id
 * @param queue      the job's queue
 * @param attempt    the attempt it happened in (1 for the first)
 * @param timeMillis when, in epoch milliseconds
 * @param parentId   the id of the job that spawned it, or null
 * @param error      for {@code FAILED} and {@code DEAD}: why; else null
 * @param retryDelayMillis for {@code RETRYING}: how long until the next attempt; else 0
 */
public record JobEvent(Type type, String jobId, String queue, int attempt, long timeMillis, String parentId,
                       JobError error, long retryDelayMillis) {

    /** The lifecycle of a job: started, then succeeded, or failed followed by retrying or dead. */
    public enum Type {
        /** An attempt began. */
        STARTED,
        /** The handler returned, and every child job spawned by it has succeeded. */
        SUCCEEDED,
        /** An attempt threw or timed out ({@link JobEvent#error()} says how); RETRYING or DEAD follows. */
        FAILED,
        /** The job waits in a retry queue for its next attempt. */
        RETRYING,
        /** The job ran out of attempts (or a child job did) and is parked in the dead-letter queue. */
        DEAD;

        /** The last word of the routing key: {@code started}, {@code succeeded}, ... */
        public String routingWord() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    /** The routing key this event is published with: {@code <queue>.<type>}. */
    public String routingKey() {
        return queue + "." + type.routingWord();
    }
}
