package io.spool.worker;

import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import java.io.IOException;
import java.util.Map;
import java.util.concurrent.TimeoutException;

/**
 * The queues and exchanges the library declares, with their arguments: one place that says what
 * the library needs from a broker (see the README's "What it does on the wire").
 */
final class Topology {

    /** A week: how long the joiner may hold a join's records unacknowledged (see {@link Joiner}). */
    static final long JOIN_CONSUMER_TIMEOUT_MS = 7L * 24 * 3600 * 1000;

    private Topology() {
    }

    static String deadQueue(String queue) {
        return queue + ".dead";
    }

    static String retryQueue(String queue, long levelMillis) {
        return queue + ".retry." + levelMillis;
    }

    /** Something to do on a channel that is closed afterwards. */
    interface Declaration {
        void on(Channel ch) throws IOException;
    }

    /**
     * Runs declarations on a channel of their own: a refused one (406) closes only that channel,
     * and its error reaches the caller as an IOException naming the broker's reason.
     */
    static void declare(Connection connection, Declaration d) throws IOException {
        Channel ch = connection.createChannel();
        try {
            d.on(ch);
        } finally {
            if (ch.isOpen()) {
                try {
                    ch.close();
                } catch (TimeoutException | IOException ignored) {
                    // declarations are done; a slow close harms nothing
                }
            }
        }
    }

    /**
     * The work queue and its dead-letter queue. {@code x-message-deduplication} makes brokers with
     * the rabbitmq-message-deduplication plugin drop a job whose {@code x-deduplication-header}
     * matches one still queued; others ignore the argument.
     */
    static void declareJobQueue(Channel ch, String queue) throws IOException {
        ch.queueDeclare(queue, true, false, false, Map.of("x-message-deduplication", true));
        ch.queueDeclare(deadQueue(queue), true, false, false, Map.of());
    }

    /** A wait queue: its messages expire after the level's delay and go back to the work queue. */
    static void declareRetryQueue(Channel ch, String queue, long levelMillis) throws IOException {
        ch.queueDeclare(retryQueue(queue, levelMillis), true, false, false, Map.of(
                "x-message-ttl", levelMillis,
                "x-dead-letter-exchange", "",
                "x-dead-letter-routing-key", queue));
    }

    static void declareEventsExchange(Channel ch, String exchange) throws IOException {
        ch.exchangeDeclare(exchange, "topic", true);
    }

    /** One joiner at a time counts joins; it may hold records long, so the consumer timeout is long. */
    static void declareJoinQueue(Channel ch, String queue) throws IOException {
        ch.queueDeclare(queue, true, false, false, Map.of(
                "x-single-active-consumer", true,
                "x-consumer-timeout", JOIN_CONSUMER_TIMEOUT_MS));
    }
}
