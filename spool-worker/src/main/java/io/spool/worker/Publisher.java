package io.spool.worker;

import com.rabbitmq.client.AlreadyClosedException;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ShutdownSignalException;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Publishes with publisher confirms over one channel and completes each message's future when
 * the broker confirms it. A message that was not confirmed when the connection dropped is kept
 * and sent again on the next connection, in the order it was first published; one that waits
 * longer than the timeout fails with {@link PublishException} saying whether the broker may
 * have it.
 *
 * <p>Threads: publishers call {@link #publish} from any thread; sending happens under
 * {@code lock} (a channel must not interleave two messages' frames). Confirms and returns arrive
 * on the client library's connection thread and touch only the per-channel concurrent maps.
 * Futures complete on that thread: callers that chain work onto them must hop off it.
 */
final class Publisher implements Connector.Part {

    private final Connector connector;
    private final Duration timeout;
    private final ScheduledThreadPoolExecutor timers;
    private final ReentrantLock lock = new ReentrantLock();
    /** Messages not on the current channel: published while disconnected, or left by a dead channel. By order. */
    private final TreeMap<Long, Pending> waiting = new TreeMap<>();
    private ConfirmChannel current;
    private long nextOrder;
    private boolean closed;

    Publisher(Connector connector, Duration timeout) {
        this.connector = connector;
        this.timeout = timeout;
        this.timers = new ScheduledThreadPoolExecutor(1, r -> {
            Thread t = new Thread(r, "spool-publish-timeouts");
            t.setDaemon(true);
            return t;
        });
        timers.setRemoveOnCancelPolicy(true);
    }

    /** A message on its way, with the future its publisher waits on. */
    private static final class Pending {
        final OutgoingMessage message;
        final long order;
        final CompletableFuture<Void> future = new CompletableFuture<>();
        /** Sent on some channel, so the broker may have it even if the confirm never comes. */
        volatile boolean sent;
        Future<?> timer;

        Pending(OutgoingMessage message, long order) {
            this.message = message;
            this.order = order;
        }
    }

    /** A confirm-mode channel and the messages sent on it that await their confirm, by sequence number. */
    private static final class ConfirmChannel {
        final Channel channel;
        final ConcurrentSkipListMap<Long, Pending> unconfirmed = new ConcurrentSkipListMap<>();
        /** Message ids the broker returned as unroutable; the confirm that follows fails them. */
        final Set<String> returned = ConcurrentHashMap.newKeySet();

        ConfirmChannel(Channel channel) {
            this.channel = channel;
        }
    }

    /**
     * Publishes; the future completes when the broker confirms, or fails with a
     * {@link PublishException} on a negative confirm, a return (no queue took it), the timeout,
     * or {@link #close()}.
     */
    CompletableFuture<Void> publish(OutgoingMessage message) {
        lock.lock();
        try {
            Pending p = new Pending(message, nextOrder++);
            if (closed) {
                p.future.completeExceptionally(new PublishException("the client is closed"));
                return p.future;
            }
            p.timer = timers.schedule(() -> expire(p), timeout.toMillis(), TimeUnit.MILLISECONDS);
            p.future.whenComplete((v, e) -> p.timer.cancel(false));
            send(p);
            return p.future;
        } finally {
            lock.unlock();
        }
    }

    /** Sends on the current channel, or parks the message until there is one. Under {@code lock}. */
    private void send(Pending p) {
        ConfirmChannel c = current;
        if (c == null || !c.channel.isOpen()) {
            waiting.put(p.order, p);
            return;
        }
        long seq = c.channel.getNextPublishSeqNo();
        c.unconfirmed.put(seq, p);
        OutgoingMessage m = p.message;
        try {
            p.sent = true;
            c.channel.basicPublish(m.exchange(), m.routingKey(), m.mandatory(), m.props(), m.body());
        } catch (IOException | AlreadyClosedException e) {
            // The channel died under us; its shutdown moves what it had (this one too) to waiting.
            if (c.unconfirmed.remove(seq) != null) {
                waiting.put(p.order, p);
            }
        }
    }

    @Override
    public void connected(Connection connection) throws IOException {
        Channel ch = connection.createChannel();
        ch.confirmSelect();
        ConfirmChannel c = new ConfirmChannel(ch);
        ch.addConfirmListener((tag, multiple) -> confirmed(c, tag, multiple, true),
                (tag, multiple) -> confirmed(c, tag, multiple, false));
        ch.addReturnListener(r -> {
            if (r.getProperties().getMessageId() != null) {
                c.returned.add(r.getProperties().getMessageId());
            }
        });
        ch.addShutdownListener(cause -> channelClosed(c, cause));
        lock.lock();
        try {
            if (closed) {
                ch.abort();
                return;
            }
            current = c;
            List<Pending> resend = new ArrayList<>(waiting.values());
            waiting.clear();
            for (Pending p : resend) {
                if (!p.future.isDone()) {
                    send(p);
                }
            }
        } finally {
            lock.unlock();
        }
    }

    @Override
    public void disconnected() {
        lock.lock();
        try {
            ConfirmChannel c = current;
            current = null;
            if (c != null) {
                parkUnconfirmed(c);
            }
        } finally {
            lock.unlock();
        }
    }

    /** The broker closed our channel alone (a publish to a missing exchange, 404): open another. */
    private void channelClosed(ConfirmChannel c, ShutdownSignalException cause) {
        if (cause.isInitiatedByApplication() || cause.isHardError()) {
            return; // our own close, or the connection's: the Connector calls disconnected()
        }
        lock.lock();
        try {
            if (current != c) {
                return;
            }
            current = null;
            parkUnconfirmed(c);
        } finally {
            lock.unlock();
        }
        connector.refresh(this);
    }

    /** Moves what a dead channel had not had confirmed back to waiting. Under {@code lock}. */
    private void parkUnconfirmed(ConfirmChannel c) {
        for (Map.Entry<Long, Pending> e : c.unconfirmed.entrySet()) {
            Pending p = c.unconfirmed.remove(e.getKey());
            if (p != null && !p.future.isDone()) {
                waiting.put(p.order, p);
            }
        }
    }

    private void confirmed(ConfirmChannel c, long tag, boolean multiple, boolean ack) {
        Map<Long, Pending> settled = multiple ? c.unconfirmed.headMap(tag, true) : c.unconfirmed.subMap(tag, true, tag, true);
        for (Long seq : List.copyOf(settled.keySet())) {
            Pending p = c.unconfirmed.remove(seq);
            if (p == null) {
                continue;
            }
            String id = p.message.props().getMessageId();
            if (!ack) {
                p.future.completeExceptionally(new PublishException("the broker refused the message to '"
                        + p.message.routingKey() + "' (basic.nack): its queue may be full and rejecting publishes"));
            } else if (id != null && c.returned.remove(id)) {
                p.future.completeExceptionally(new PublishException("no queue took the message: "
                        + describe(p.message) + " does not exist"));
            } else {
                p.future.complete(null);
            }
        }
    }

    private static String describe(OutgoingMessage m) {
        return m.exchange().isEmpty() ? "queue '" + m.routingKey() + "'"
                : "a queue bound to exchange '" + m.exchange() + "' with key '" + m.routingKey() + "'";
    }

    /** The timeout passed: withdraw the message if it never left, else give up waiting for its confirm. */
    private void expire(Pending p) {
        lock.lock();
        try {
            if (waiting.remove(p.order) != null || !p.sent) {
                p.future.completeExceptionally(new PublishException("not published within " + timeout
                        + ": no connection to the broker; the message was not stored"));
            } else {
                // Failing the future also keeps it from being sent again after a reconnect.
                p.future.completeExceptionally(new PublishException("no confirm from the broker within " + timeout
                        + "; the broker may or may not have stored the message"));
            }
        } finally {
            lock.unlock();
        }
    }

    /** Fails what is still waiting and closes the channel. */
    void close() {
        lock.lock();
        try {
            closed = true;
            ConfirmChannel c = current;
            current = null;
            if (c != null) {
                parkUnconfirmed(c);
                if (c.channel.isOpen()) {
                    try {
                        c.channel.close();
                    } catch (IOException | java.util.concurrent.TimeoutException | AlreadyClosedException ignored) {
                        // the connection closes next anyway
                    }
                }
            }
            for (Pending p : waiting.values()) {
                p.future.completeExceptionally(new PublishException("the client was closed before the broker confirmed"
                        + (p.sent ? "; the broker may or may not have stored the message" : "; the message was not stored")));
            }
            waiting.clear();
        } finally {
            lock.unlock();
        }
        timers.shutdownNow();
    }

    @Override
    public String toString() {
        return "publisher";
    }
}
