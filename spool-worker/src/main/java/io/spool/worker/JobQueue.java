package io.spool.worker;

import java.util.concurrent.CompletableFuture;

/**
 * A durable work queue of typed jobs. Made by {@link SpoolJobs#queue(String, Class)}.
 *
 * <p>Every job is sent as JSON ({@code content-type: application/json}), persistent, with its
 * job id as the AMQP {@code message-id} property, and is confirmed by the broker before a
 * publish completes. Thread-safe.
 *
 * @param <T> the job type
 */
public interface JobQueue<T> {

    /** The queue's name. */
    String name();

    /** The job type. */
    Class<T> type();

    /** The queue where jobs that ran out of attempts are parked: {@code name() + ".dead"}. */
    String deadLetterQueue();

    /**
     * Publishes a job with a new job id and waits for the broker's confirm (across reconnects,
     * up to the client's publish timeout).
     *
     * @return the job id
     * @throws PublishException when the job was not confirmed in time, was refused, or cannot be
     *                          written as JSON
     */
    String publish(T job);

    /** As {@link #publish(Object)}, with a dedup key or a chosen job id. */
    String publish(T job, PublishOptions options);

    /**
     * Publishes without waiting: the future completes with the job id once the broker confirms,
     * or exceptionally with a {@link PublishException}. For high rates: thousands of publishes
     * may be in flight at once.
     */
    CompletableFuture<String> publishAsync(T job);

    /** As {@link #publishAsync(Object)}, with a dedup key or a chosen job id. */
    CompletableFuture<String> publishAsync(T job, PublishOptions options);
}
