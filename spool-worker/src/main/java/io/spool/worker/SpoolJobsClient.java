package io.spool.worker;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.rabbitmq.client.ConnectionFactory;
import com.rabbitmq.client.ShutdownSignalException;
import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.security.GeneralSecurityException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledThreadPoolExecutor;

/**
 * The {@link SpoolJobs} implementation: owns the {@link Connector}, the {@link Publisher}, the
 * events, the queues, the workers and (once a worker starts) the {@link Joiner}.
 */
final class SpoolJobsClient implements SpoolJobs {

    private final Connector connector;
    private final Publisher publisher;
    private final AmqpJobEvents events;
    private final ObjectMapper mapper;
    private final String joinQueue;
    /** Completes callers' futures off the client library's connection thread. */
    private final ExecutorService callbacks = Executors.newVirtualThreadPerTaskExecutor();
    /** Per-job timeouts. */
    private final ScheduledThreadPoolExecutor scheduler;
    private final ConcurrentHashMap<String, AmqpJobQueue<?>> queues = new ConcurrentHashMap<>();
    private final List<AmqpWorker<?>> workers = new CopyOnWriteArrayList<>();
    private Joiner joiner;
    private volatile boolean closed;

    private SpoolJobsClient(Builder b, ConnectionFactory factory) {
        this.mapper = b.mapper != null ? b.mapper : new ObjectMapper();
        this.joinQueue = b.joinQueue;
        this.connector = new Connector(factory, b.connectionName, b.reconnectInitialDelay, b.reconnectMaxDelay);
        this.publisher = new Publisher(connector, b.publishTimeout);
        this.events = new AmqpJobEvents(this, b.eventsExchange);
        this.scheduler = new ScheduledThreadPoolExecutor(1, r -> {
            Thread t = new Thread(r, "spool-job-timeouts");
            t.setDaemon(true);
            return t;
        });
        scheduler.setRemoveOnCancelPolicy(true);
    }

    static SpoolJobs open(Builder b) {
        ConnectionFactory factory = new ConnectionFactory();
        try {
            // The client library reads a URI without a usable host (a port that is not a number)
            // as localhost:5672; refuse it instead of connecting somewhere unintended.
            if (new URI(b.uri).getHost() == null) {
                throw new URISyntaxException(b.uri, "no host, or a port that is not a number");
            }
            factory.setUri(b.uri);
        } catch (URISyntaxException | GeneralSecurityException | IllegalArgumentException e) {
            throw new ConnectException("malformed AMQP URI '" + b.uri + "': " + e.getMessage(), e);
        }
        // The client library's own recovery would re-send nothing unconfirmed: the Connector does it all.
        factory.setAutomaticRecoveryEnabled(false);
        factory.setTopologyRecoveryEnabled(false);
        factory.setConnectionTimeout((int) Math.min(Integer.MAX_VALUE, b.connectTimeout.toMillis()));
        SpoolJobsClient client = new SpoolJobsClient(b, factory);
        try {
            // In this order on every connection: the events exchange, then the publisher's channel.
            client.connector.add(client.events);
            client.connector.add(client.publisher);
        } catch (IOException e) {
            throw new IllegalStateException(e); // not connected yet: nothing is declared here
        }
        try {
            client.connector.start(b.connectTimeout);
        } catch (ConnectException e) {
            client.shutdownExecutors();
            throw e;
        }
        return client;
    }

    @Override
    @SuppressWarnings("unchecked")
    public <T> JobQueue<T> queue(String name, Class<T> type) {
        Names.require(name, "queue");
        java.util.Objects.requireNonNull(type, "type");
        checkOpen();
        AmqpJobQueue<?> existing = queues.get(name);
        if (existing == null) {
            AmqpJobQueue<T> q = new AmqpJobQueue<>(this, name, type);
            try {
                connector.add(q);
            } catch (IOException e) {
                throw new IllegalStateException("cannot declare queue '" + name + "': " + reason(e), e);
            }
            existing = queues.putIfAbsent(name, q);
            if (existing == null) {
                return q;
            }
            connector.remove(q);
        }
        if (existing.type() != type) {
            throw new IllegalArgumentException("queue '" + name + "' is already used for " + existing.type().getName()
                    + ", not " + type.getName());
        }
        return (AmqpJobQueue<T>) existing;
    }

    /** This client's own queue object for a queue handed in (one made by another client maps by name). */
    @SuppressWarnings("unchecked")
    <C> AmqpJobQueue<C> own(JobQueue<C> q) {
        java.util.Objects.requireNonNull(q, "queue");
        AmqpJobQueue<?> mine = queues.get(q.name());
        return mine == q ? (AmqpJobQueue<C>) mine : (AmqpJobQueue<C>) queue(q.name(), q.type());
    }

    @Override
    public <T> WorkerBuilder<T> worker(JobQueue<T> queue) {
        AmqpJobQueue<T> q = own(queue);
        return new WorkerBuilder<>(q, this::startWorker);
    }

    private <T> Worker startWorker(WorkerBuilder<T> settings) {
        checkOpen();
        startJoiner();
        AmqpWorker<T> w = new AmqpWorker<>(this, own(settings.queue()), settings);
        try {
            connector.add(w);
        } catch (IOException e) {
            throw new IllegalStateException("cannot start a worker on '" + settings.queue().name() + "': "
                    + reason(e), e);
        }
        workers.add(w);
        return w;
    }

    /** Every process that runs workers also takes its turn counting joins. */
    private synchronized void startJoiner() {
        if (joiner == null) {
            Joiner j = new Joiner(this, joinQueue);
            try {
                connector.add(j);
            } catch (IOException e) {
                throw new IllegalStateException("cannot declare join queue '" + joinQueue + "': " + reason(e), e);
            }
            joiner = j;
        }
    }

    void workerClosed(AmqpWorker<?> w) {
        workers.remove(w);
    }

    @Override
    public JobEvents events() {
        return events;
    }

    @Override
    public boolean isConnected() {
        return connector.isConnected();
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        List<Thread> closing = new ArrayList<>();
        for (AmqpWorker<?> w : workers) {
            closing.add(Thread.ofVirtual().start(() -> w.close(Duration.ofSeconds(30))));
        }
        for (Thread t : closing) {
            try {
                t.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        events.closeSubscriptions();
        synchronized (this) {
            if (joiner != null) {
                joiner.close();
            }
        }
        publisher.close();
        connector.close();
        shutdownExecutors();
    }

    private void shutdownExecutors() {
        scheduler.shutdownNow();
        callbacks.shutdown();
    }

    private void checkOpen() {
        if (closed) {
            throw new IllegalStateException("the client is closed");
        }
    }

    /** The broker's reason for a refused declaration (it comes as the cause of the IOException). */
    static String reason(IOException e) {
        if (e.getCause() instanceof ShutdownSignalException s) {
            return s.getMessage();
        }
        return String.valueOf(e.getMessage() != null ? e.getMessage() : e.getCause());
    }

    Connector connector() {
        return connector;
    }

    Publisher publisher() {
        return publisher;
    }

    AmqpJobEvents jobEvents() {
        return events;
    }

    ObjectMapper mapper() {
        return mapper;
    }

    ExecutorService callbacks() {
        return callbacks;
    }

    ScheduledThreadPoolExecutor scheduler() {
        return scheduler;
    }

    String joinQueue() {
        return joinQueue;
    }
}
