package io.spool.bench.compare;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import com.rabbitmq.client.DefaultConsumer;
import com.rabbitmq.client.Envelope;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.concurrent.TimeoutException;

/**
 * The consumer of the latency scenario: PerfTest publishes, this measures. PerfTest puts a
 * sequence number (int) and {@code System.nanoTime()} at publish (long) at the start of every
 * body; on Linux every JVM's nanoTime reads the same monotonic clock, so receive time minus that
 * stamp is the end-to-end latency of each message. Every one is kept, so p99.9 is exact rather
 * than PerfTest's per-second percentiles. Manual acks, one per message, with a prefetch.
 *
 * <p>Threads: the client's consumer thread records; read the figures after {@link #close}.
 */
final class LatencyProbe implements AutoCloseable {

    private final Connection connection;
    private final Channel channel;
    private long[] stamps = new long[1 << 16];
    private long[] latencies = new long[1 << 16];
    private int count;
    private int malformed;

    private LatencyProbe(Connection connection, Channel channel) {
        this.connection = connection;
        this.channel = channel;
    }

    /** Declares the queue as PerfTest does (durable, not auto-deleted) and starts consuming from it. */
    static LatencyProbe start(int port, String queue, int prefetch) throws IOException, TimeoutException {
        ConnectionFactory f = new ConnectionFactory();
        f.setHost("127.0.0.1");
        f.setPort(port);
        f.setAutomaticRecoveryEnabled(false);
        Connection c = f.newConnection("spool-compare-latency-probe");
        Channel ch = c.createChannel();
        ch.queueDeclare(queue, true, false, false, null);
        ch.basicQos(prefetch);
        LatencyProbe probe = new LatencyProbe(c, ch);
        ch.basicConsume(queue, false, new DefaultConsumer(ch) {
            @Override
            public void handleDelivery(String tag, Envelope envelope, AMQP.BasicProperties props, byte[] body)
                    throws IOException {
                probe.record(System.nanoTime(), body);
                ch.basicAck(envelope.getDeliveryTag(), false);
            }
        });
        return probe;
    }

    private synchronized void record(long now, byte[] body) {
        if (body.length < 12) {
            malformed++;
            return;
        }
        if (count == stamps.length) {
            stamps = Arrays.copyOf(stamps, count * 2);
            latencies = Arrays.copyOf(latencies, count * 2);
        }
        long stamp = ByteBuffer.wrap(body, 4, 8).getLong();
        stamps[count] = stamp;
        latencies[count] = now - stamp;
        count++;
    }

    synchronized int received() {
        return count;
    }

    synchronized int malformed() {
        return malformed;
    }

    /** Latencies (nanoseconds) of the messages published between two nanoTime instants, sorted. */
    synchronized long[] latenciesPublishedBetween(long fromNanos, long toNanos) {
        long[] out = new long[count];
        int n = 0;
        for (int i = 0; i < count; i++) {
            if (stamps[i] >= fromNanos && stamps[i] <= toNanos) {
                out[n++] = latencies[i];
            }
        }
        long[] sorted = Arrays.copyOf(out, n);
        Arrays.sort(sorted);
        return sorted;
    }

    @Override
    public void close() {
        try {
            connection.close(5_000);
        } catch (IOException | RuntimeException e) {
            // the broker is going away anyway
        }
    }
}
