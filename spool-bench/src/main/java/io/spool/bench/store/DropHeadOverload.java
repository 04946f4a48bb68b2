package io.spool.bench.store;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.AlreadyClosedException;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.DefaultConsumer;
import com.rabbitmq.client.Envelope;
import com.rabbitmq.client.MessageProperties;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * A length-limited queue under publisher overload: a durable queue with {@code x-max-length}
 * and {@code x-overflow = drop-head}, flooded by publishers of persistent 1 KiB messages
 * (confirms, 1000 in flight each) while one consumer takes a fixed number a second. Measures,
 * after a warm-up, how fast publishes are confirmed and delivered, how many the head drops,
 * and how deep the queue gets.
 */
final class DropHeadOverload {

    static final String QUEUE = "bench.bounded";
    private static final int BODY = 1024;
    private static final int WINDOW = 1000;
    private static final int PREFETCH = 100;
    private static final Duration WARMUP = Duration.ofSeconds(3);

    record Result(int publishers, int consumerRate, int maxLength, int seconds, double confirmRate,
                  double brokerPublishRate, double deliverRate, double dropRate, long maxReady, long nacked,
                  ProcMemory memory, GcLogPeaks gc) {}

    private final DelayOptions options;

    DropHeadOverload(DelayOptions options) {
        this.options = options;
    }

    Result run() throws Exception {
        Path gcLog = options.workDir().resolve("gc-overload.log");
        AtomicBoolean stop = new AtomicBoolean();
        AtomicLong confirmed = new AtomicLong();
        AtomicLong nacked = new AtomicLong();
        List<Thread> publishers = new ArrayList<>();
        try (ScratchDirectory data = new ScratchDirectory("spool-bench-overload-");
             BrokerProcess broker = BrokerProcess.start(options.spoolHome(), data.path(), options.brokerJavaOpts(gcLog),
                     options.workDir().resolve("broker-overload.log")).awaitReady(Duration.ofMinutes(2))) {
            Connection consumerConnection = BrokerClients.connect(broker, "overload-consumer");
            ManagementClient mgmt = BrokerClients.management(broker);
            Channel setup = consumerConnection.createChannel();
            setup.queueDeclare(QUEUE, true, false, false, Map.of("x-max-length", options.maxLength(),
                    "x-overflow", "drop-head"));
            Channel consumerChannel = consumerConnection.createChannel();
            consumerChannel.basicQos(PREFETCH);
            PacedConsumer consumer = new PacedConsumer(consumerChannel, options.consumerRate());
            consumerChannel.basicConsume(QUEUE, false, consumer);
            for (int i = 0; i < options.publishers(); i++) {
                Connection c = BrokerClients.connect(broker, "overload-publisher-" + i);
                publishers.add(Thread.ofPlatform().name("overload-publisher-" + i)
                        .start(() -> flood(c, stop, confirmed, nacked)));
            }
            System.err.printf("overload: %d publishers flooding '%s' (x-max-length %d, drop-head), consumer at %d/s%n",
                    options.publishers(), QUEUE, options.maxLength(), options.consumerRate());
            Thread.sleep(WARMUP.toMillis());

            ManagementClient.QueueCounters before = mgmt.queueCounters("/", QUEUE);
            long confirmedBefore = confirmed.get();
            long deliveredBefore = consumer.delivered();
            long started = System.nanoTime();
            long end = started + TimeUnit.SECONDS.toNanos(options.overloadSeconds());
            long maxReady = 0;
            while (System.nanoTime() < end) {
                maxReady = Math.max(maxReady, mgmt.queueCounters("/", QUEUE).ready());
                Thread.sleep(250);
            }
            double seconds = (System.nanoTime() - started) / 1e9;
            ManagementClient.QueueCounters after = mgmt.queueCounters("/", QUEUE);
            double confirmRate = (confirmed.get() - confirmedBefore) / seconds;
            double deliverRate = (consumer.delivered() - deliveredBefore) / seconds;
            stop.set(true);
            for (Thread t : publishers) {
                t.join(TimeUnit.SECONDS.toMillis(30));
            }
            ProcMemory memory = broker.memory();
            consumerConnection.close();
            broker.stop();
            return new Result(options.publishers(), options.consumerRate(), options.maxLength(),
                    options.overloadSeconds(), confirmRate, (after.published() - before.published()) / seconds,
                    deliverRate, (after.dropped() - before.dropped()) / seconds, maxReady, nacked.get(), memory,
                    GcLogPeaks.read(gcLog));
        }
    }

    /** One publisher: persistent messages with confirms, the window full, until told to stop. */
    private static void flood(Connection c, AtomicBoolean stop, AtomicLong confirmed, AtomicLong nacked) {
        try (c) {
            Channel ch = c.createChannel();
            ch.confirmSelect();
            ConfirmWindow window = new ConfirmWindow(WINDOW, confirmed::addAndGet);
            ch.addConfirmListener(window);
            byte[] body = new byte[BODY];
            while (!stop.get()) {
                window.awaitRoom();
                window.sent(ch.getNextPublishSeqNo());
                ch.basicPublish("", QUEUE, MessageProperties.PERSISTENT_BASIC, body);
            }
            window.awaitAllConfirmed(Duration.ofSeconds(30));
            nacked.addAndGet(window.nacked());
        } catch (Exception e) {
            if (!stop.get()) {
                System.err.println("overload: a publisher failed: " + e);
            }
        }
    }

    /** Acks each delivery, taking no more than {@code rate} a second: a worker slower than its producers. */
    private static final class PacedConsumer extends DefaultConsumer {
        private final long nanosPerMessage;
        private final AtomicLong delivered = new AtomicLong();
        private long next = System.nanoTime();

        PacedConsumer(Channel ch, int rate) {
            super(ch);
            this.nanosPerMessage = TimeUnit.SECONDS.toNanos(1) / rate;
        }

        @Override
        public void handleDelivery(String tag, Envelope envelope, AMQP.BasicProperties props, byte[] body)
                throws IOException {
            long now = System.nanoTime();
            if (next > now) {
                LockSupport.parkNanos(next - now);
            }
            next = Math.max(next, now - TimeUnit.MILLISECONDS.toNanos(100)) + nanosPerMessage;
            try {
                getChannel().basicAck(envelope.getDeliveryTag(), false);
            } catch (AlreadyClosedException e) {
                return; // the run is over
            }
            delivered.incrementAndGet();
        }

        long delivered() {
            return delivered.get();
        }
    }
}
