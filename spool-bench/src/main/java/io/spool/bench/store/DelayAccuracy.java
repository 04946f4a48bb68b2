package io.spool.bench.store;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * Delay accuracy: messages published to a durable x-delayed-message exchange, and one auto-ack
 * consumer on the queue behind it noting how late each one arrives. Two shapes:
 *
 * <ul>
 *   <li><b>light</b>: a steady trickle, published evenly over the spread, each due 1 to 5 s
 *       after it is published: a broker with little to do;</li>
 *   <li><b>bulk</b>: published as fast as confirms allow, in random order, with due times
 *       spread evenly over a window that opens {@code lead} after the first publish: with a
 *       million due in one minute the broker delivers some 17,000 a second while it keeps its
 *       schedule.</li>
 * </ul>
 *
 * Few publishes are unconfirmed at once, so a message reaches the broker about when its
 * publisher stamped it and lateness is the broker's, not a queue in the client's socket.
 */
final class DelayAccuracy {

    static final String EXCHANGE = "bench.delayed";
    static final String QUEUE = "bench.due";
    static final String WARMUP_QUEUE = "bench.warmup";
    /** Delayed messages through the same path before the measured ones, for the JIT. */
    static final int WARMUP_MESSAGES = 20_000;
    private static final int WINDOW = 100;

    /** One run's figures. {@code publishedLate}: messages whose due time had passed when published. */
    record Result(String name, int messages, String due, long publishNanos, int publishedLate,
                  int received, int duplicates, Lateness lateness, ProcMemory memory, GcLogPeaks gc) {}

    private final DelayOptions options;

    DelayAccuracy(DelayOptions options) {
        this.options = options;
    }

    /** The light shape: {@code n} messages published evenly over the spread, each due 1 to 5 s later. */
    Result light(int n) throws Exception {
        return run("light", n, -1);
    }

    /** The bulk shape: {@code n} messages as fast as possible, due over the spread from {@code lead} on. */
    Result bulk(int n, long leadMillis) throws Exception {
        return run("bulk", n, leadMillis);
    }

    private Result run(String name, int n, long leadMillis) throws Exception {
        boolean paced = leadMillis < 0;
        Path gcLog = options.workDir().resolve("gc-" + name + ".log");
        try (ScratchDirectory data = new ScratchDirectory("spool-bench-delay-");
             BrokerProcess broker = BrokerProcess.start(options.spoolHome(), data.path(),
                     options.brokerJavaOpts(gcLog), options.workDir().resolve("broker-" + name + ".log"))
                     .awaitReady(Duration.ofMinutes(2))) {
            Connection consumerConnection = BrokerClients.connect(broker, "delay-benchmark-consumer");
            Connection publisherConnection = BrokerClients.connect(broker, "delay-benchmark-publisher");
            Channel setup = publisherConnection.createChannel();
            setup.exchangeDeclare(EXCHANGE, "x-delayed-message", true, false, Map.of("x-delayed-type", "direct"));
            setup.queueDeclare(QUEUE, true, false, false, null);
            setup.queueBind(QUEUE, EXCHANGE, QUEUE);
            LatenessConsumer consumer = new LatenessConsumer(consumerConnection.createChannel(), n);
            consumer.getChannel().basicConsume(QUEUE, true, consumer);
            warmUp(setup, consumerConnection);

            String dueText = paced
                    ? String.format("1-5 s after each publish (%d/s for %d s)", n / options.spreadSeconds(),
                            options.spreadSeconds())
                    : String.format("%d-%d s after the first publish", leadMillis / 1000,
                            leadMillis / 1000 + options.spreadSeconds());
            System.err.printf("accuracy (%s): publishing %,d messages due %s%n", name, n, dueText);
            Channel ch = publisherConnection.createChannel();
            ch.confirmSelect();
            ConfirmWindow window = new ConfirmWindow(WINDOW, confirmed -> { });
            ch.addConfirmListener(window);
            int[] order = shuffled(n);
            Random random = new Random(11);
            long spreadMillis = options.spreadSeconds() * 1000L;
            long paceNanos = paced ? TimeUnit.MILLISECONDS.toNanos(spreadMillis) / n : 0;
            long started = System.nanoTime();
            long firstDue = System.currentTimeMillis() + Math.max(0, leadMillis);
            int late = 0;
            AtomicLong published = new AtomicLong();
            try (Progress p = new Progress("publish " + name, n, published::get)) {
                for (int k = 0; k < n; k++) {
                    int i = order[k];
                    if (paced) {
                        long sendAt = started + k * paceNanos;
                        long early = sendAt - System.nanoTime();
                        if (early > 0) {
                            LockSupport.parkNanos(early);
                        }
                    }
                    long due = paced ? System.currentTimeMillis() + 1000 + random.nextInt(4000)
                            : firstDue + spreadMillis * i / n;
                    long delay = due - System.currentTimeMillis();
                    if (delay < 1) {
                        late++;
                        delay = 1;
                    }
                    window.awaitRoom();
                    window.sent(ch.getNextPublishSeqNo());
                    ch.basicPublish(EXCHANGE, QUEUE, delayed(delay), DelayedMessageBody.of(due, i, options.bodySize()));
                    published.incrementAndGet();
                }
                if (!window.awaitAllConfirmed(Duration.ofMinutes(5))) {
                    throw new IllegalStateException("publishes of the " + name + " run unconfirmed after 5 minutes");
                }
            }
            long publishNanos = System.nanoTime() - started;
            long lastDue = paced ? System.currentTimeMillis() + 5000 : firstDue + spreadMillis;
            Duration wait = Duration.ofMillis(Math.max(0, lastDue - System.currentTimeMillis()) + 60_000);
            System.err.printf("accuracy (%s): published in %.1f s; waiting for the deliveries%n", name,
                    publishNanos / 1e9);
            boolean all = consumer.awaitAll(wait);
            ProcMemory memory = broker.memory();
            publisherConnection.close();
            consumerConnection.close();
            broker.stop();
            if (!all) {
                System.err.printf("accuracy (%s): only %,d of %,d arrived%n", name, consumer.received(), n);
            }
            return new Result(name, n, dueText, publishNanos, late, consumer.received(),
                    consumer.duplicates(), consumer.lateness(), memory, GcLogPeaks.read(gcLog));
        }
    }

    /**
     * Sends delayed messages through the same exchange to a scratch queue, as fast as confirms
     * allow, each due within a second, and waits for all of them: the broker's delivery path is
     * compiled before the first measured message is due.
     */
    private void warmUp(Channel ch, Connection consumerConnection) throws Exception {
        ch.queueDeclare(WARMUP_QUEUE, false, false, true, null);
        ch.queueBind(WARMUP_QUEUE, EXCHANGE, WARMUP_QUEUE);
        LatenessConsumer warm = new LatenessConsumer(consumerConnection.createChannel(), WARMUP_MESSAGES);
        warm.getChannel().basicConsume(WARMUP_QUEUE, true, warm);
        Random random = new Random(3);
        for (int i = 0; i < WARMUP_MESSAGES; i++) {
            long delay = 100 + random.nextInt(1000);
            ch.basicPublish(EXCHANGE, WARMUP_QUEUE, delayed(delay),
                    DelayedMessageBody.of(System.currentTimeMillis() + delay, i, options.bodySize()));
        }
        if (!warm.awaitAll(Duration.ofMinutes(2))) {
            throw new IllegalStateException("warm-up incomplete: " + warm.received() + " of " + WARMUP_MESSAGES);
        }
        warm.getChannel().close();
    }

    private static AMQP.BasicProperties delayed(long delayMillis) {
        return new AMQP.BasicProperties.Builder().deliveryMode(2).headers(Map.of("x-delay", delayMillis)).build();
    }

    private static int[] shuffled(int n) {
        int[] a = new int[n];
        for (int i = 0; i < n; i++) {
            a[i] = i;
        }
        Random random = new Random(42);
        for (int i = n - 1; i > 0; i--) {
            int j = random.nextInt(i + 1);
            int t = a[i];
            a[i] = a[j];
            a[j] = t;
        }
        return a;
    }
}
