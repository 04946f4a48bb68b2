package io.spool.bench.store;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.DefaultConsumer;
import com.rabbitmq.client.Envelope;
import java.io.IOException;
import java.time.Duration;
import java.util.BitSet;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * Takes the benchmark's messages back with manual acks, one ack per message as a worker would,
 * timing each slice and checking what arrives: every index once, in publish order.
 *
 * <p>Threads: the client calls {@link #handleDelivery} for one consumer on one thread at a
 * time; the counters are read after {@link #awaitAll} (the latch orders the reads).
 */
final class DrainConsumer extends DefaultConsumer {

    private final long expected;
    private final SliceClock clock;
    private final BitSet seen;
    private final CountDownLatch done = new CountDownLatch(1);
    private volatile long firstDeliveryNanos;
    private long received;
    private long duplicates;
    private long outOfOrder;
    private long redelivered;
    private long foreign;
    private long nextIndex;

    DrainConsumer(Channel channel, long expected, SliceClock clock) {
        super(channel);
        this.expected = expected;
        this.clock = clock;
        this.seen = new BitSet((int) expected);
    }

    @Override
    public void handleDelivery(String tag, Envelope envelope, AMQP.BasicProperties properties, byte[] body)
            throws IOException {
        if (received == 0) {
            firstDeliveryNanos = System.nanoTime();
        }
        long index = MessageBody.index(body);
        if (index < 0 || index >= expected) {
            foreign++;
        } else if (seen.get((int) index)) {
            duplicates++;
        } else {
            seen.set((int) index);
        }
        if (index != nextIndex) {
            outOfOrder++;
        }
        nextIndex = index + 1;
        if (envelope.isRedeliver()) {
            redelivered++;
        }
        getChannel().basicAck(envelope.getDeliveryTag(), false);
        received++;
        clock.add(1);
        if (received == expected) {
            done.countDown();
        }
    }

    boolean awaitAll(Duration timeout) throws InterruptedException {
        return done.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    long firstDeliveryNanos() {
        return firstDeliveryNanos;
    }

    /** What the drain saw; {@code missing} counts indexes never delivered. */
    record Check(long received, long missing, long duplicates, long outOfOrder, long redelivered, long foreign) {
        boolean clean() {
            return missing == 0 && duplicates == 0 && outOfOrder == 0 && foreign == 0;
        }
    }

    Check check() {
        return new Check(received, expected - seen.cardinality(), duplicates, outOfOrder, redelivered, foreign);
    }
}
