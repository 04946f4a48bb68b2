package io.spool.worker;

/**
 * Runs one job. Returning normally means done: the job is acknowledged. Throwing means this
 * attempt failed: the job is retried after a backoff, or dead-lettered once it has used its
 * attempts (at once when the exception is a {@link PermanentJobFailure}).
 *
 * <p>Handlers run on virtual threads, up to the worker's concurrency at once, so blocking I/O is
 * fine. A job may run more than once (a worker that dies mid-job has its job redelivered), so a
 * handler should be idempotent; {@link JobContext#jobId()} and {@link JobContext#attempt()}
 * help.
 *
 * @param <T> the job type
 */
@FunctionalInterface
public interface JobHandler<T> {

    void handle(T job, JobContext context) throws Exception;
}
