package io.spool.worker;

import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import com.rabbitmq.client.ShutdownSignalException;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps one AMQP connection open: opens it, notices when it drops, and opens it again with a
 * doubling delay. Parts of the client that need the connection (queue declarations, the
 * publisher, workers, subscriptions) register as {@link Part}s and are told of each new
 * connection, in the order they registered, so that exchanges exist before queues bind to them.
 *
 * <p>Threads: everything that changes the connection or the parts runs on one keeper thread (a
 * single-thread scheduler), so parts never see two connections at once. Callers hand it tasks and
 * wait for them; the client library's own threads only post tasks, never wait.
 */
final class Connector implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(Connector.class);

    /** Something that must be set up again on every new connection. */
    interface Part {
        /** Sets up on a new connection (open a channel, declare, consume). Runs on the keeper thread. */
        void connected(Connection connection) throws IOException;

        /** The connection this part was set up on is gone. Runs on the keeper thread. */
        default void disconnected() {
        }
    }

    private final ConnectionFactory factory;
    private final String name;
    private final Duration initialDelay;
    private final Duration maxDelay;
    private final ScheduledThreadPoolExecutor keeper;
    private final List<Part> parts = new ArrayList<>();
    private final CompletableFuture<Void> firstConnection = new CompletableFuture<>();
    private volatile Connection connection;
    private volatile boolean closed;
    private volatile Exception lastError;
    private volatile Thread keeperThread;
    private Duration nextDelay;

    Connector(ConnectionFactory factory, String name, Duration initialDelay, Duration maxDelay) {
        this.factory = factory;
        this.name = name;
        this.initialDelay = initialDelay;
        this.maxDelay = maxDelay;
        this.nextDelay = initialDelay;
        this.keeper = new ScheduledThreadPoolExecutor(1, r -> {
            Thread t = new Thread(r, "spool-connector");
            t.setDaemon(true);
            keeperThread = t;
            return t;
        });
        keeper.setRemoveOnCancelPolicy(true);
    }

    /** Starts connecting and waits for the first connection; keeps retrying in the background after a timeout. */
    void start(Duration timeout) {
        keeper.execute(this::connect);
        try {
            firstConnection.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            close();
            throw new ConnectException("no connection to " + describe() + " within " + timeout, lastError);
        } catch (ExecutionException e) {
            close();
            throw new ConnectException("cannot connect to " + describe() + ": " + e.getCause().getMessage(), e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            close();
            throw new ConnectException("interrupted while connecting to " + describe(), e);
        }
    }

    private String describe() {
        return "amqp://" + factory.getHost() + ":" + factory.getPort() + factory.getVirtualHost();
    }

    /** One connection attempt on the keeper thread; on failure the next is scheduled. */
    private void connect() {
        if (closed || isConnected()) {
            return;
        }
        Connection c;
        try {
            c = factory.newConnection(name);
        } catch (IOException | TimeoutException e) {
            lastError = e;
            if (isAuthenticationFailure(e)) {
                // Retrying a refused login only locks the account out sooner: fail the first connect.
                firstConnection.completeExceptionally(e);
            }
            if (nextDelay.equals(initialDelay)) {
                log.warn("cannot connect to {} ({}); retrying every {} ms at most", describe(), e.toString(),
                        maxDelay.toMillis());
            } else {
                log.debug("cannot connect to {} ({}); next attempt in {} ms", describe(), e.toString(), nextDelay.toMillis());
            }
            keeper.schedule(this::connect, nextDelay.toMillis(), TimeUnit.MILLISECONDS);
            Duration doubled = nextDelay.multipliedBy(2);
            nextDelay = doubled.compareTo(maxDelay) > 0 ? maxDelay : doubled;
            return;
        }
        nextDelay = initialDelay;
        connection = c;
        c.addShutdownListener(cause -> onShutdown(c, cause));
        if (!c.isOpen()) {
            // It dropped before the listener was added; the listener does not fire for that.
            onShutdown(c, c.getCloseReason());
            return;
        }
        boolean reconnected = firstConnection.isDone();
        for (Part p : List.copyOf(parts)) {
            setUp(p, c);
        }
        if (reconnected) {
            log.info("reconnected to {}", describe());
        }
        firstConnection.complete(null);
    }

    private static boolean isAuthenticationFailure(Exception e) {
        return e instanceof com.rabbitmq.client.AuthenticationFailureException
                || e instanceof com.rabbitmq.client.PossibleAuthenticationFailureException;
    }

    private void setUp(Part p, Connection c) {
        try {
            p.connected(c);
        } catch (IOException | RuntimeException e) {
            if (c.isOpen()) {
                log.error("could not set up {} again after reconnecting", p, e);
            }
            // else the connection dropped meanwhile: the next connection sets it up
        }
    }

    /** From the client library's connection thread: hand over to the keeper, never block here. */
    private void onShutdown(Connection c, ShutdownSignalException cause) {
        if (closed || (cause != null && cause.isInitiatedByApplication())) {
            return;
        }
        log.warn("connection to {} lost: {}", describe(), cause == null ? "closed" : cause.getMessage());
        keeper.execute(() -> {
            if (connection != c) {
                return;
            }
            connection = null;
            for (Part p : List.copyOf(parts)) {
                p.disconnected();
            }
            connect();
        });
    }

    /**
     * Registers a part and, if connected, sets it up now, in the caller's time: errors (a queue
     * declared with other arguments, 406) reach the caller and the part is dropped. When not
     * connected, the part is set up on the next connection.
     */
    void add(Part p) throws IOException {
        call(() -> {
            Connection c = connection;
            if (c != null && c.isOpen()) {
                p.connected(c);
            }
            parts.add(p);
            return null;
        });
    }

    /** Unregisters a part; it is not told anything more. */
    void remove(Part p) {
        if (!keeper.isShutdown()) {
            try {
                call(() -> parts.remove(p));
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        }
    }

    /**
     * Sets a part up again on the current connection: for a part whose channel the broker closed
     * while the connection stayed open. Does not wait.
     */
    void refresh(Part p) {
        if (closed) {
            return;
        }
        keeper.execute(() -> {
            Connection c = connection;
            if (parts.contains(p) && c != null && c.isOpen()) {
                p.disconnected();
                setUp(p, c);
            }
        });
    }

    boolean isConnected() {
        Connection c = connection;
        return c != null && c.isOpen();
    }

    private interface KeeperTask<V> {
        V run() throws IOException;
    }

    private <V> V call(KeeperTask<V> task) throws IOException {
        if (Thread.currentThread() == keeperThread) {
            return task.run();
        }
        CompletableFuture<V> result = new CompletableFuture<>();
        keeper.execute(() -> {
            try {
                result.complete(task.run());
            } catch (IOException | RuntimeException e) {
                result.completeExceptionally(e);
            }
        });
        try {
            return result.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof IOException io) {
                throw io;
            }
            throw (RuntimeException) e.getCause();
        }
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        keeper.shutdownNow();
        Connection c = connection;
        connection = null;
        if (c != null && c.isOpen()) {
            try {
                c.close(5_000);
            } catch (IOException | RuntimeException e) {
                c.abort(1_000);
            }
        }
        firstConnection.completeExceptionally(new IllegalStateException("closed"));
    }
}
