package io.spool.bench.store;

import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.MessageProperties;
import java.nio.file.Path;
import java.time.Duration;

/**
 * The store scenario of the issue: a million persistent messages published with confirms into
 * one durable queue with no consumer; the broker stopped and started again with the queue full,
 * first with its files in the page cache, then with them evicted; then the queue drained with
 * manual acks. Measures rates per slice of depth, memory of the filling and the draining
 * broker, disk at full depth and after the drain, and both restarts.
 */
final class FillAndDrain {

    static final String QUEUE = "bench.store";
    static final String WARMUP_QUEUE = "bench.warmup";
    private static final Duration READY_TIMEOUT = Duration.ofMinutes(2);

    private final BenchOptions options;
    private final Path dataDir;
    private final Path work;

    FillAndDrain(BenchOptions options, Path dataDir) {
        this.options = options;
        this.dataDir = dataDir;
        this.work = options.workDir();
    }

    FillDrainResult run() throws Exception {
        int n = options.messages();

        System.err.printf("fill: starting broker (%s)%n", options.brokerJavaOpts(work.resolve("gc-fill.log")));
        SliceClock publishClock;
        ManagementClient.StoreCounters fillCounters;
        ProcMemory fillMemory;
        long liveHeap;
        long diskFull;
        Duration cleanStop;
        try (BrokerProcess fill = start("fill")) {
            ManagementClient mgmt = BrokerClients.management(fill);
            warmUp(fill);
            ManagementClient.StoreCounters before = mgmt.storeCounters();
            publishClock = new SliceClock(n, options.sliceSize(), ProcCpu.of(fill.pid()));
            publish(fill, QUEUE, n, publishClock);
            fillCounters = mgmt.storeCounters().minus(before);
            ManagementClient.QueueDepth depth = mgmt.queue("/", QUEUE);
            if (depth.ready() != n) {
                throw new IllegalStateException("expected " + n + " messages waiting after the fill, found " + depth);
            }
            fillMemory = fill.memory();
            diskFull = DiskUsage.bytes(dataDir);
            liveHeap = LiveHeap.afterFullGcKib(fill.pid());
            System.err.println("fill: stopping the broker with the queue full");
            cleanStop = fill.stop();
        }

        RestartTiming warm;
        long cached = PageCache.cachedBytes(dataDir);
        try (BrokerProcess again = start("restart-warm")) {
            warm = RestartTiming.of(again, cached);
            System.err.printf("restart: ready %d ms after spawn (page cache warm)%n", warm.spawnToReady().toMillis());
            again.stop();
        }

        long stillCached = PageCache.evict(dataDir);
        try (BrokerProcess drain = start("drain")) {
            RestartTiming cold = RestartTiming.of(drain, stillCached);
            System.err.printf("restart: ready %d ms after spawn (page cache evicted); draining%n",
                    cold.spawnToReady().toMillis());
            DrainConsumer consumer;
            ManagementClient mgmt = BrokerClients.management(drain);
            ManagementClient.StoreCounters countersBefore = mgmt.storeCounters();
            SliceClock drainClock = new SliceClock(n, options.sliceSize(), ProcCpu.of(drain.pid()));
            try (Connection c = BrokerClients.connect(drain, "store-benchmark-drain");
                 Progress p = new Progress("drain", n, drainClock::count)) {
                Channel ch = c.createChannel();
                ch.basicQos(options.prefetch());
                consumer = new DrainConsumer(ch, n, drainClock);
                drainClock.start();
                ch.basicConsume(QUEUE, false, consumer);
                if (!consumer.awaitAll(Duration.ofMinutes(30))) {
                    throw new IllegalStateException("drain incomplete: " + consumer.check());
                }
                awaitEmpty(mgmt);
            }
            ManagementClient.StoreCounters drainCounters = mgmt.storeCounters().minus(countersBefore);
            ProcMemory drainMemory = drain.memory();
            long diskDrained = DiskUsage.bytes(dataDir);
            drain.stop();
            return new FillDrainResult(n, options.bodySize(), options.window(), options.prefetch(),
                    options.warmupMessages(), publishClock.slices(), publishClock.elapsedNanos(),
                    publishClock.elapsedCpuNanos(), fillCounters, drainClock.slices(), drainClock.elapsedNanos(),
                    drainClock.elapsedCpuNanos(), drainCounters, fillMemory, drainMemory,
                    GcLogPeaks.read(work.resolve("gc-fill.log")), GcLogPeaks.read(work.resolve("gc-drain.log")),
                    liveHeap, diskFull, diskDrained, cleanStop, warm, cold,
                    Duration.ofNanos(consumer.firstDeliveryNanos() - drain.spawnedNanos()), consumer.check());
        }
    }

    private BrokerProcess start(String name) throws Exception {
        return BrokerProcess.start(options.spoolHome(), dataDir,
                        options.brokerJavaOpts(work.resolve("gc-" + name + ".log")), work.resolve("broker-" + name + ".log"))
                .awaitReady(READY_TIMEOUT);
    }

    /**
     * Publishes through the same path into a scratch queue, then deletes it, so that the JIT
     * has compiled the hot path before the measured fill: otherwise the first slices measure
     * compilation, and "rate at 100k depth" would flatter every later slice.
     */
    private void warmUp(BrokerProcess broker) throws Exception {
        if (options.warmupMessages() == 0) {
            return;
        }
        int m = options.warmupMessages();
        publish(broker, WARMUP_QUEUE, m, new SliceClock(m, m, () -> 0));
        try (Connection c = BrokerClients.connect(broker, "store-benchmark-warmup")) {
            c.createChannel().queueDelete(WARMUP_QUEUE);
        }
    }

    private void publish(BrokerProcess broker, String queue, int count, SliceClock clock) throws Exception {
        System.err.printf("fill: publishing %,d persistent messages of %d bytes into '%s', window %d%n", count,
                options.bodySize(), queue, options.window());
        try (Connection c = BrokerClients.connect(broker, "store-benchmark-fill");
             Progress p = new Progress("publish", count, clock::count)) {
            Channel ch = c.createChannel();
            ch.queueDeclare(queue, true, false, false, null);
            ch.queuePurge(queue);
            ch.confirmSelect();
            ConfirmWindow window = new ConfirmWindow(options.window(), clock::add);
            ch.addConfirmListener(window);
            clock.start();
            for (long i = 0; i < count; i++) {
                window.awaitRoom();
                window.sent(ch.getNextPublishSeqNo());
                ch.basicPublish("", queue, MessageProperties.PERSISTENT_BASIC, MessageBody.numbered(i, options.bodySize()));
            }
            if (!window.awaitAllConfirmed(Duration.ofMinutes(2))) {
                throw new IllegalStateException("publishes still unconfirmed 2 minutes after the last one");
            }
            if (window.nacked() > 0) {
                throw new IllegalStateException("the broker nacked " + window.nacked() + " publishes");
            }
        }
    }

    /** The last acks reach the broker after the last delivery; wait until it has settled them. */
    private static void awaitEmpty(ManagementClient mgmt) throws Exception {
        long deadline = System.nanoTime() + Duration.ofMinutes(1).toNanos();
        ManagementClient.QueueDepth d;
        while ((d = mgmt.queue("/", QUEUE)).ready() + d.unacked() > 0) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("queue not empty a minute after the drain: " + d);
            }
            Thread.sleep(50);
        }
    }
}
