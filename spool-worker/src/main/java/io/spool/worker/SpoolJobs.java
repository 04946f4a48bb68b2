package io.spool.worker;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.time.Duration;
import java.util.Objects;

/**
 * The entry point: one AMQP connection to Spool (or RabbitMQ) shared by the queues, workers and
 * event subscriptions made from it.
 *
 * <pre>{@code
 * SpoolJobs jobs = SpoolJobs.connect("amqp://guest:guest@localhost:5672");
 * JobQueue<Resize> q = jobs.queue("thumbnails", Resize.class);
 * String id = q.publish(new Resize("/data/photo-42.jpg"));
 * }</pre>
 *
 * <p>The connection heals itself: when it drops (the broker restarts, the network blips) it is
 * opened again with a growing delay, every queue, exchange and binding made through it is
 * declared again, workers and subscriptions consume again, and publishes that were not yet
 * confirmed are sent again. A publish returns only once the broker has confirmed it, so a job
 * whose publish returned is stored; callers simply wait while the connection is down.
 *
 * <p>Thread-safe. Close it when the application stops: workers made from it are closed first
 * (see {@link Worker#close(Duration)}).
 */
public interface SpoolJobs extends AutoCloseable {

    /** Connects with the defaults of {@link Builder}; waits until the first connection is open. */
    static SpoolJobs connect(String uri) {
        return builder().uri(uri).connect();
    }

    static Builder builder() {
        return new Builder();
    }

    /**
     * The durable work queue {@code name} for jobs of type {@code type} (a record or any class
     * Jackson can map), declared now and after every reconnect with its dead-letter queue
     * {@code name + ".dead"}. Calling it twice with the same name gives equal queues.
     */
    <T> JobQueue<T> queue(String name, Class<T> type);

    /** Starts configuring a worker that runs the jobs of {@code queue}; see {@link WorkerBuilder}. */
    <T> WorkerBuilder<T> worker(JobQueue<T> queue);

    /** Lifecycle events of every job run by workers connected to the same broker. */
    JobEvents events();

    /** Whether the connection is open right now (false while it is being re-established). */
    boolean isConnected();

    /**
     * Closes every worker made from this client (each gets up to 30 seconds to finish its
     * in-flight jobs), ends the event subscriptions and closes the connection. Publishes still
     * waiting for a confirm fail with {@link PublishException}.
     */
    @Override
    void close();

    /** Settings of a client; every one has a default fit for a laptop. */
    final class Builder {

        String uri = "amqp://guest:guest@localhost:5672";
        String connectionName = "spool-worker";
        ObjectMapper mapper;
        Duration reconnectInitialDelay = Duration.ofMillis(100);
        Duration reconnectMaxDelay = Duration.ofSeconds(5);
        Duration connectTimeout = Duration.ofSeconds(30);
        Duration publishTimeout = Duration.ofSeconds(30);
        String eventsExchange = "spool.events";
        String joinQueue = "spool.joins";

        Builder() {
        }

        /** The AMQP URI, {@code amqp://user:password@host:port/vhost}; default {@code amqp://guest:guest@localhost:5672}. */
        public Builder uri(String uri) {
            this.uri = Objects.requireNonNull(uri, "uri");
            return this;
        }

        /** Shown by the broker's management API for this connection; default {@code spool-worker}. */
        public Builder connectionName(String name) {
            this.connectionName = Objects.requireNonNull(name, "name");
            return this;
        }

        /** Maps jobs and events to and from JSON; default a plain {@code new ObjectMapper()}. */
        public Builder objectMapper(ObjectMapper mapper) {
            this.mapper = Objects.requireNonNull(mapper, "mapper");
            return this;
        }

        /** Delay before the first reconnect attempt, doubling up to {@code max}; default 100 ms to 5 s. */
        public Builder reconnectDelay(Duration initial, Duration max) {
            Durations.requirePositive(initial, "initial reconnect delay");
            Durations.requirePositive(max, "max reconnect delay");
            if (max.compareTo(initial) < 0) {
                throw new IllegalArgumentException("max reconnect delay " + max + " is below the initial " + initial);
            }
            this.reconnectInitialDelay = initial;
            this.reconnectMaxDelay = max;
            return this;
        }

        /** How long {@link #connect()} waits for the first connection; default 30 s. */
        public Builder connectTimeout(Duration timeout) {
            this.connectTimeout = Durations.requirePositive(timeout, "connect timeout");
            return this;
        }

        /**
         * How long {@link JobQueue#publish} waits for the broker's confirm, reconnects included,
         * before it throws {@link PublishException}; default 30 s.
         */
        public Builder publishTimeout(Duration timeout) {
            this.publishTimeout = Durations.requirePositive(timeout, "publish timeout");
            return this;
        }

        /** The topic exchange lifecycle events go to; default {@code spool.events}. */
        public Builder eventsExchange(String name) {
            this.eventsExchange = Names.require(name, "events exchange");
            return this;
        }

        /** The queue that fan-out joins are counted on; default {@code spool.joins}. */
        public Builder joinQueue(String name) {
            this.joinQueue = Names.require(name, "join queue");
            return this;
        }

        /**
         * Opens the connection, waiting up to the connect timeout for the broker.
         *
         * @throws ConnectException when the URI is malformed or no connection opened in time
         */
        public SpoolJobs connect() {
            return SpoolJobsClient.open(this);
        }
    }
}
