package io.spool.worker;

import java.time.Instant;
import java.util.Optional;

/** What a handler knows about the job it runs, and how it starts child jobs. */
public interface JobContext {

    /** The job's id: the AMQP {@code message-id}, kept across retries. */
    String jobId();

    /** The queue the job came from. */
    String queue();

    /** 1 for the first attempt, 2 for the first retry, and so on. */
    int attempt();

    /** The worker's max attempts: when {@link #attempt()} equals it, a failure dead-letters the job. */
    int maxAttempts();

    default boolean isLastAttempt() {
        return attempt() >= maxAttempts();
    }

    /**
     * Whether the broker delivered this job before without an answer (a worker died or its
     * connection dropped mid-job): the job may have partly run already.
     */
    boolean redelivered();

    /** When the worker's per-job timeout ends this attempt (the handler's thread is interrupted then). */
    Instant deadline();

    /** The dedup key the producer set, if any. */
    Optional<String> dedupKey();

    /** The id of the job that spawned this one, if any. */
    Optional<String> parentId();

    /**
     * Starts a child job on {@code queue} once this handler returns normally (not if it
     * throws). This job then counts as succeeded only when every child has succeeded; if a
     * child is dead-lettered, this job is dead too. Child ids are this job's id plus
     * {@code "." + n}, n counting from 1 in spawn order, so a re-run spawns the same ids.
     *
     * @return the child's job id
     */
    <C> String spawn(JobQueue<C> queue, C job);

    /**
     * Publishes {@code job} on {@code queue} once every child spawned by this handler has
     * succeeded (the "join"): the video goes live when every rendition is done. Its job id is this
     * job's id plus {@code ".then"}. At most one per handler run; with no children it is published
     * as soon as the handler returns. Not published if a child is dead-lettered.
     */
    <C> void whenChildrenDone(JobQueue<C> queue, C job);
}
