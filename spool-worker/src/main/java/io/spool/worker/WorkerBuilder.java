package io.spool.worker;

import java.time.Duration;
import java.util.Objects;
import java.util.function.Function;

/**
 * The knobs of a {@link Worker}, from {@link SpoolJobs#worker(JobQueue)}:
 *
 * <pre>{@code
 * Worker w = jobs.worker(q).concurrency(4).prefetch(8).timeout(Duration.ofMinutes(2))
 *         .maxAttempts(5).backoff(Duration.ofSeconds(1), Duration.ofMinutes(5))
 *         .handle((job, ctx) -> resize(job)).start();
 * }</pre>
 *
 * @param <T> the job type
 */
public final class WorkerBuilder<T> {

    private final JobQueue<T> queue;
    private final Function<WorkerBuilder<T>, Worker> starter;
    private int concurrency = 1;
    private int prefetch = -1;
    private Duration timeout = Duration.ofMinutes(5);
    private int maxAttempts = 5;
    private int maxDeliveries = 20;
    private Duration backoffInitial = Duration.ofSeconds(1);
    private Duration backoffMax = Duration.ofMinutes(5);
    private double jitter = 0.5;
    private JobHandler<T> handler;

    WorkerBuilder(JobQueue<T> queue, Function<WorkerBuilder<T>, Worker> starter) {
        this.queue = queue;
        this.starter = starter;
    }

    /** Jobs run at once, each on its own virtual thread; default 1. */
    public WorkerBuilder<T> concurrency(int n) {
        if (n < 1) {
            throw new IllegalArgumentException("concurrency must be at least 1, got " + n);
        }
        this.concurrency = n;
        return this;
    }

    /**
     * Jobs the broker may hand this worker ahead of finishing (AMQP {@code basic.qos}); at least
     * the concurrency, which is the default. A little more than the concurrency keeps handlers
     * busy between jobs; much more hoards jobs other workers could run.
     */
    public WorkerBuilder<T> prefetch(int n) {
        if (n < 1 || n > 65_535) {
            throw new IllegalArgumentException("prefetch must be between 1 and 65535, got " + n);
        }
        this.prefetch = n;
        return this;
    }

    /**
     * How long one attempt may run; default 5 minutes. Past it the handler's thread is
     * interrupted and the attempt fails with {@link JobTimeoutException} once the handler has
     * returned (a job never runs twice at once). Keep it below the broker's consumer timeout
     * (30 minutes by default on Spool and RabbitMQ).
     */
    public WorkerBuilder<T> timeout(Duration timeout) {
        this.timeout = Durations.requirePositive(timeout, "timeout");
        return this;
    }

    /** Attempts before a failing job is dead-lettered, the first included; default 5. */
    public WorkerBuilder<T> maxAttempts(int n) {
        if (n < 1 || n > 100) {
            throw new IllegalArgumentException("max attempts must be between 1 and 100, got " + n);
        }
        this.maxAttempts = n;
        return this;
    }

    /**
     * Deliveries of one attempt that may come back unsettled before the job is dead-lettered
     * with {@link RedeliveryLimitException}; default 20, as RabbitMQ's quorum queues. A job comes
     * back unsettled when the worker holding it dies or shuts down before it finishes; a job that
     * crashes every worker that runs it would otherwise go round for ever. The count is the
     * broker's {@code x-delivery-count} header, which Spool's queues and RabbitMQ's quorum queues
     * set; on a RabbitMQ classic queue there is none and this limit never applies.
     */
    public WorkerBuilder<T> maxDeliveries(int n) {
        if (n < 1) {
            throw new IllegalArgumentException("max deliveries must be at least 1, got " + n);
        }
        this.maxDeliveries = n;
        return this;
    }

    /**
     * The delay before retry n is {@code initial * 2^(n-1)}, capped at {@code max}, then
     * shortened by a random jitter; default 1 s to 5 min. Delays are whole milliseconds.
     */
    public WorkerBuilder<T> backoff(Duration initial, Duration max) {
        Durations.requirePositive(initial, "initial backoff");
        Durations.requirePositive(max, "max backoff");
        if (initial.toMillis() < 1) {
            throw new IllegalArgumentException("initial backoff must be at least 1 ms, got " + initial);
        }
        if (max.compareTo(initial) < 0) {
            throw new IllegalArgumentException("max backoff " + max + " is below the initial " + initial);
        }
        this.backoffInitial = initial;
        this.backoffMax = max;
        return this;
    }

    /**
     * The fraction of each delay that is random: 0.5 (the default) waits between half and all of
     * it, so jobs that failed together do not all come back together; 0 waits exactly. Each
     * backoff level then has four wait queues, with delays spread evenly over that range.
     */
    public WorkerBuilder<T> jitter(double fraction) {
        if (!(fraction >= 0 && fraction <= 1)) {
            throw new IllegalArgumentException("jitter must be between 0 and 1, got " + fraction);
        }
        this.jitter = fraction;
        return this;
    }

    /** The code that runs each job. Required. */
    public WorkerBuilder<T> handle(JobHandler<T> handler) {
        this.handler = Objects.requireNonNull(handler, "handler");
        return this;
    }

    /** Declares the retry queues and starts consuming. */
    public Worker start() {
        if (handler == null) {
            throw new IllegalStateException("no handler: call handle(...) before start()");
        }
        if (prefetch >= 0 && prefetch < concurrency) {
            throw new IllegalStateException("prefetch " + prefetch + " is below the concurrency " + concurrency
                    + ": handlers would sit idle");
        }
        return starter.apply(this);
    }

    JobQueue<T> queue() {
        return queue;
    }

    int concurrency() {
        return concurrency;
    }

    int prefetch() {
        return prefetch < 0 ? concurrency : prefetch;
    }

    Duration timeout() {
        return timeout;
    }

    int maxAttempts() {
        return maxAttempts;
    }

    int maxDeliveries() {
        return maxDeliveries;
    }

    Backoff backoff() {
        return new Backoff(backoffInitial, backoffMax, jitter);
    }

    JobHandler<T> handler() {
        return handler;
    }
}
