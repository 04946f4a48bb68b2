package io.spool.worker;

import java.time.Duration;

/**
 * Runs the jobs of one queue with a handler, started by {@link WorkerBuilder#start()}.
 *
 * <p>Each job is acknowledged after its handler returns. A failed attempt is first published,
 * with the broker's confirm, to a wait queue that hands it back after the backoff, and only
 * then acknowledged: a retry is never lost, and the job is never in two places at once. A job
 * out of attempts goes to the dead-letter queue with its error in headers (see {@link Headers}).
 */
public interface Worker extends AutoCloseable {

    /** The queue this worker takes jobs from. */
    String queue();

    /** Jobs whose handler is running right now. */
    int inFlight();

    /**
     * Graceful shutdown: stops taking jobs at once and hands back those received but not
     * started; waits up to {@code deadline} for running handlers to finish; then interrupts the
     * rest and hands their jobs back to the queue (neither retried nor counted as an attempt).
     *
     * @return true when every running handler finished within the deadline
     */
    boolean close(Duration deadline);

    /** {@link #close(Duration)} with 30 seconds. */
    @Override
    default void close() {
        close(Duration.ofSeconds(30));
    }
}
