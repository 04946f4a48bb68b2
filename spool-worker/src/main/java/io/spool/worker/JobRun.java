package io.spool.worker;

import java.io.IOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One attempt at one job, on the job's own virtual thread: read it, run the handler under the
 * timeout, then settle it. Settling publishes first and acks after, always: children, a retry
 * or a dead letter are confirmed by the broker before the job they come from is acknowledged,
 * so a crash in between can repeat work but never lose it.
 */
final class JobRun<T> {

    private static final Logger log = LoggerFactory.getLogger(JobRun.class);

    private final AmqpWorker<T> worker;
    private final JobDelivery delivery;
    private final SpoolJobsClient client;
    private final String queue;
    private final String jobId;
    private final int attempt;
    private final String parentId;

    /** Guards the handoff between the handler finishing and the timeout interrupting it. */
    private final Object timerLock = new Object();
    private boolean handlerDone;
    private boolean timedOut;

    JobRun(AmqpWorker<T> worker, JobDelivery delivery) {
        this.worker = worker;
        this.delivery = delivery;
        this.client = worker.client;
        this.queue = worker.queue.name();
        String id = delivery.props.getMessageId();
        // A job published by hand may lack an id; it gets one, kept by its retries.
        this.jobId = id != null ? id : UUID.randomUUID().toString();
        this.attempt = JobMessages.attempt(delivery.props);
        this.parentId = JobMessages.parentId(delivery.props);
    }

    void run() {
        int returned = JobMessages.returnedDeliveries(delivery.props);
        if (returned >= worker.maxDeliveries) {
            // Not run again: it may be what stopped the workers before.
            if (delivery.move(JobDelivery.State.RUNNING, JobDelivery.State.SETTLING)) {
                settle(() -> fail(new RedeliveryLimitException(returned + 1)));
            }
            return;
        }
        RunContext ctx = new RunContext(client, jobId, queue, attempt, worker.maxAttempts, delivery.redelivered,
                Instant.now().plus(worker.timeout), JobMessages.dedupKey(delivery.props), parentId);
        emit(JobEvent.Type.STARTED, null, 0);
        Throwable failure = runHandler(ctx);
        if (!delivery.move(JobDelivery.State.RUNNING, JobDelivery.State.SETTLING)) {
            return; // the worker shut down past its deadline and handed the job back
        }
        settle(() -> {
            if (failure == null) {
                succeed(ctx);
            } else {
                fail(failure);
            }
        });
    }

    /** Runs a settling step; if what it publishes is not confirmed, hands the job back. */
    private void settle(Runnable step) {
        try {
            step.run();
        } catch (PublishException e) {
            // Nothing was acked: the job goes back to the queue and runs again.
            log.error("job {} of queue '{}' could not be settled ({}); handing it back", jobId, queue, e.getMessage());
            delivery.requeue();
        }
    }

    /** Runs the handler; returns what it threw, a timeout, or null. */
    private Throwable runHandler(RunContext ctx) {
        T job;
        try {
            job = client.mapper().readValue(delivery.body, worker.queue.type());
        } catch (IOException e) {
            return new PermanentJobFailure("the job is not JSON of " + worker.queue.type().getName() + ": "
                    + e.getMessage(), e);
        }
        Thread self = Thread.currentThread();
        ScheduledFuture<?> timer = client.scheduler().schedule(() -> {
            synchronized (timerLock) {
                if (!handlerDone) {
                    timedOut = true;
                    self.interrupt();
                }
            }
        }, worker.timeout.toMillis(), TimeUnit.MILLISECONDS);
        Throwable failure = null;
        try {
            worker.handler.handle(job, ctx);
        } catch (VirtualMachineError e) {
            throw e;
        } catch (Throwable t) {
            failure = t;
        } finally {
            synchronized (timerLock) {
                handlerDone = true;
            }
            timer.cancel(false);
            Thread.interrupted(); // the settling below must not see the timeout's interrupt
        }
        if (timedOut) {
            JobTimeoutException e = new JobTimeoutException(worker.timeout);
            if (failure != null) {
                e.initCause(failure);
            }
            return e;
        }
        return failure;
    }

    private void succeed(RunContext ctx) {
        List<RunContext.Child> children = ctx.children();
        RunContext.FollowUp followUp = ctx.followUp();
        if (!children.isEmpty()) {
            JoinRecord record = new JoinRecord(jobId, queue, attempt, parentId,
                    children.stream().map(RunContext.Child::id).toList(),
                    followUp == null ? null : followUp.queue(), followUp == null ? null : followUp.job());
            // The join record first: it is in the join queue before any child can finish.
            AmqpJobQueue.await(client.publisher().publish(Joiner.message(client.joinQueue(), JoinRecord.TYPE, record)));
            List<CompletableFuture<Void>> confirms = new ArrayList<>();
            for (RunContext.Child c : children) {
                confirms.add(client.publisher().publish(c.message()));
            }
            confirms.forEach(AmqpJobQueue::await);
            delivery.ack();
            return; // the joiner says SUCCEEDED once the children are done
        }
        if (followUp != null) {
            AmqpJobQueue.await(client.publisher().publish(JobMessages.newJob(followUp.queue(), jobId + ".then",
                    Json.write(followUp.job()), null, null)));
        }
        if (parentId != null) {
            AmqpJobQueue.await(client.publisher().publish(Joiner.message(client.joinQueue(), ChildDone.TYPE,
                    new ChildDone(parentId, jobId, true, null))));
        }
        delivery.ack();
        emit(JobEvent.Type.SUCCEEDED, null, 0);
    }

    private void fail(Throwable failure) {
        JobError error = ErrorSummary.of(failure, attempt);
        emit(JobEvent.Type.FAILED, error, 0);
        boolean permanent = failure instanceof PermanentJobFailure;
        if (!permanent && attempt < worker.maxAttempts) {
            retry(failure);
        } else {
            deadLetter(failure, error);
        }
    }

    private void retry(Throwable failure) {
        long delay = worker.backoff.pickMillis(attempt, ThreadLocalRandom.current().nextDouble());
        Map<String, Object> headers = JobMessages.headersOf(delivery.props);
        headers.put(Headers.ATTEMPT, attempt + 1);
        headers.put(Headers.DEDUPLICATION,
                JobMessages.deduplication(jobId, JobMessages.dedupKey(delivery.props), attempt + 1));
        AmqpJobQueue.await(client.publisher().publish(JobMessages.copy(delivery.props.builder().messageId(jobId).build(),
                delivery.body, Topology.retryQueue(queue, delay), headers)));
        // Told before the ack: the next attempt may start as soon as the delay has passed.
        emit(JobEvent.Type.RETRYING, null, delay);
        delivery.ack();
        log.info("job {} of queue '{}' failed attempt {} of {} ({}); retrying in {} ms", jobId, queue, attempt,
                worker.maxAttempts, failure.toString(), delay);
    }

    private void deadLetter(Throwable failure, JobError error) {
        Map<String, Object> headers = JobMessages.headersOf(delivery.props);
        headers.put(Headers.ERROR_CLASS, error.exceptionClass());
        if (error.message() != null) {
            headers.put(Headers.ERROR_MESSAGE, error.message());
        }
        headers.put(Headers.ERROR_STACK, error.stackSummary());
        headers.put(Headers.ATTEMPTS, attempt);
        headers.put(Headers.DEAD_AT, System.currentTimeMillis());
        AmqpJobQueue.await(client.publisher().publish(JobMessages.copy(delivery.props.builder().messageId(jobId).build(),
                delivery.body, Topology.deadQueue(queue), headers)));
        if (parentId != null) {
            AmqpJobQueue.await(client.publisher().publish(Joiner.message(client.joinQueue(), ChildDone.TYPE,
                    new ChildDone(parentId, jobId, false, error))));
        }
        delivery.ack();
        log.warn("job {} of queue '{}' is dead after {} attempt(s): {}", jobId, queue, attempt, failure.toString());
        emit(JobEvent.Type.DEAD, error, 0);
    }

    private void emit(JobEvent.Type type, JobError error, long retryDelay) {
        client.jobEvents().emit(new JobEvent(type, jobId, queue, attempt, System.currentTimeMillis(), parentId, error,
                retryDelay));
    }
}
