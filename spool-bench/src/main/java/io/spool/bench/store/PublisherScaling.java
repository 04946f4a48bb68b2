package io.spool.bench.store;

import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.MessageProperties;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * What group commit buys: 1, 4, 16 publishers, each on its own connection, publishing
 * persistent messages with confirms into one durable queue, and the broker's fsync count over
 * the same seconds. With a window of 1 each publisher waits for every confirm, so messages per
 * fsync above 1 is exactly what sharing a commit between publishers gives; with a wide window
 * one publisher alone already fills each commit.
 */
final class PublisherScaling {

    static final String QUEUE = "bench.scaling";

    private final BenchOptions options;
    private final Path dataDir;

    PublisherScaling(BenchOptions options, Path dataDir) {
        this.options = options;
        this.dataDir = dataDir;
    }

    List<ScalingRow> run() throws Exception {
        Path work = options.workDir();
        List<ScalingRow> rows = new ArrayList<>();
        try (BrokerProcess broker = BrokerProcess.start(options.spoolHome(), dataDir,
                options.brokerJavaOpts(work.resolve("gc-scaling.log")), work.resolve("broker-scaling.log"))) {
            broker.awaitReady(Duration.ofMinutes(2));
            ManagementClient mgmt = BrokerClients.management(broker);
            try (Connection admin = BrokerClients.connect(broker, "store-benchmark-admin")) {
                Channel ch = admin.createChannel();
                for (int window : options.scalingWindows()) {
                    for (int publishers : options.publishers()) {
                        // A fresh queue each time, so no run publishes into the depth another left.
                        ch.queueDelete(QUEUE);
                        ch.queueDeclare(QUEUE, true, false, false, null);
                        ScalingRow row = measure(broker, mgmt, window, publishers);
                        System.err.printf("scaling: window %d, %d publishers: %,.0f msg/s, %,.0f fsyncs/s%n", window,
                                publishers, row.messagesPerSecond(), row.fsyncsPerSecond());
                        rows.add(row);
                    }
                }
                ch.queueDelete(QUEUE);
            }
            broker.stop();
        }
        return rows;
    }

    private ScalingRow measure(BrokerProcess broker, ManagementClient mgmt, int window, int publishers)
            throws Exception {
        AtomicLong confirmed = new AtomicLong();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        List<Thread> threads = new ArrayList<>();
        List<Connection> connections = new ArrayList<>();
        AtomicBoolean stopping = new AtomicBoolean();
        for (int i = 0; i < publishers; i++) {
            Connection c = BrokerClients.connect(broker, "store-benchmark-publisher-" + i);
            connections.add(c);
            Channel ch = c.createChannel();
            ch.confirmSelect();
            ConfirmWindow w = new ConfirmWindow(window, confirmed::addAndGet);
            ch.addConfirmListener(w);
            Thread t = new Thread(() -> {
                try {
                    byte[] body = MessageBody.numbered(0, options.bodySize());
                    while (!stopping.get()) {
                        w.awaitRoom();
                        w.sent(ch.getNextPublishSeqNo());
                        ch.basicPublish("", QUEUE, MessageProperties.PERSISTENT_BASIC, body);
                    }
                    w.awaitAllConfirmed(Duration.ofSeconds(30));
                } catch (Exception e) {
                    failure.compareAndSet(null, e);
                }
            }, "publisher-" + i);
            threads.add(t);
        }
        threads.forEach(Thread::start);
        Thread.sleep(options.warmupSeconds() * 1000L);
        long c0 = confirmed.get();
        ManagementClient.StoreCounters s0 = mgmt.storeCounters();
        long t0 = System.nanoTime();
        long cpu0 = ProcCpu.nanos(broker.pid());
        Thread.sleep(options.measureSeconds() * 1000L);
        long c1 = confirmed.get();
        ManagementClient.StoreCounters s1 = mgmt.storeCounters();
        long t1 = System.nanoTime();
        long cpu1 = ProcCpu.nanos(broker.pid());
        stopping.set(true);
        for (Thread t : threads) {
            t.join();
        }
        for (Connection c : connections) {
            c.close();
        }
        if (failure.get() != null) {
            throw new IllegalStateException("a publisher failed", failure.get());
        }
        return new ScalingRow(window, publishers, c1 - c0, s1.minus(s0), t1 - t0, cpu1 - cpu0);
    }
}
