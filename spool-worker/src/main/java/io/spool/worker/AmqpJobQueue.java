package io.spool.worker;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.rabbitmq.client.Connection;
import java.io.IOException;
import java.util.Objects;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;

/**
 * A job queue on the client's connection: declares the work queue and its dead-letter queue (now
 * and after each reconnect), and publishes jobs as JSON through the client's {@link Publisher}.
 */
final class AmqpJobQueue<T> implements JobQueue<T>, Connector.Part {

    private final SpoolJobsClient client;
    private final String name;
    private final Class<T> type;

    AmqpJobQueue(SpoolJobsClient client, String name, Class<T> type) {
        this.client = client;
        this.name = name;
        this.type = type;
    }

    @Override
    public void connected(Connection connection) throws IOException {
        Topology.declare(connection, ch -> Topology.declareJobQueue(ch, name));
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public Class<T> type() {
        return type;
    }

    @Override
    public String deadLetterQueue() {
        return Topology.deadQueue(name);
    }

    @Override
    public String publish(T job) {
        return publish(job, PublishOptions.none());
    }

    @Override
    public String publish(T job, PublishOptions options) {
        String jobId = jobId(options);
        await(client.publisher().publish(message(job, jobId, options.dedupKey(), null)));
        return jobId;
    }

    @Override
    public CompletableFuture<String> publishAsync(T job) {
        return publishAsync(job, PublishOptions.none());
    }

    @Override
    public CompletableFuture<String> publishAsync(T job, PublishOptions options) {
        String jobId = jobId(options);
        OutgoingMessage m;
        try {
            m = message(job, jobId, options.dedupKey(), null);
        } catch (PublishException e) {
            return CompletableFuture.failedFuture(e);
        }
        // Off the client library's connection thread, where confirms complete the future:
        // a caller's callback that blocks there would stall the whole connection.
        return client.publisher().publish(m).thenApplyAsync(v -> jobId, client.callbacks());
    }

    private static String jobId(PublishOptions options) {
        Objects.requireNonNull(options, "options");
        return options.jobId() != null ? options.jobId() : UUID.randomUUID().toString();
    }

    /** The message for a job of this queue; a child job carries its parent's id. */
    OutgoingMessage message(T job, String jobId, String dedupKey, String parentId) {
        return JobMessages.newJob(name, jobId, toJson(job), dedupKey, parentId);
    }

    byte[] toJson(Object job) {
        Objects.requireNonNull(job, "job");
        if (!type.isInstance(job)) {
            throw new IllegalArgumentException("queue '" + name + "' takes " + type.getName() + ", not "
                    + job.getClass().getName());
        }
        try {
            return client.mapper().writeValueAsBytes(job);
        } catch (JsonProcessingException e) {
            throw new PublishException("cannot write the job as JSON: " + e.getOriginalMessage(), e);
        }
    }

    /** Waits for a publish, as {@link #publish} does: its failure is thrown as a PublishException. */
    static void await(CompletableFuture<Void> confirm) {
        try {
            confirm.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new PublishException("interrupted while waiting for the broker's confirm; "
                    + "the broker may or may not store the message", e);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof PublishException p) {
                throw new PublishException(p.getMessage(), p);
            }
            throw new PublishException("publish failed: " + e.getCause(), e.getCause());
        }
    }

    @Override
    public String toString() {
        return "queue '" + name + "'";
    }
}
