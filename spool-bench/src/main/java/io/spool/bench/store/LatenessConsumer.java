package io.spool.bench.store;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.DefaultConsumer;
import com.rabbitmq.client.Envelope;
import java.time.Duration;
import java.util.BitSet;

/**
 * An auto-ack consumer of delayed messages that notes, for each one, how late it arrived
 * (see {@link DelayedMessageBody}), and which numbers came twice.
 *
 * <p>Threads: the client's consumer thread delivers; the getters take this object's monitor.
 */
final class LatenessConsumer extends DefaultConsumer {

    private final int expected;
    private final long[] lateness;
    private final BitSet seen;
    private int received;
    private int duplicates;

    LatenessConsumer(Channel ch, int expected) {
        super(ch);
        this.expected = expected;
        this.lateness = new long[expected];
        this.seen = new BitSet(expected);
    }

    @Override
    public synchronized void handleDelivery(String tag, Envelope envelope, AMQP.BasicProperties props, byte[] body) {
        long now = System.currentTimeMillis();
        int number = DelayedMessageBody.number(body);
        if (seen.get(number)) {
            duplicates++;
            return;
        }
        seen.set(number);
        lateness[received++] = now - DelayedMessageBody.due(body);
        if (received == expected) {
            notifyAll();
        }
    }

    /** Waits until every message has arrived once; false on timeout. */
    synchronized boolean awaitAll(Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (received < expected) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                return false;
            }
            wait(Math.max(1, left / 1_000_000));
        }
        return true;
    }

    synchronized int received() {
        return received;
    }

    synchronized int duplicates() {
        return duplicates;
    }

    synchronized Lateness lateness() {
        return Lateness.of(lateness, received);
    }
}
