package io.spool.bench.store;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Ten million scheduled messages against a small heap: persistent messages published with
 * confirms to a durable x-delayed-message exchange, due between one hour and a day later, so
 * none falls due during the run. After each step the broker's live heap (after a full GC), its
 * RSS and the disk the schedule takes are read; then the broker is restarted with everything
 * still scheduled, and the same is read again. A heap that stays flat means the schedule is on
 * disk, not in memory.
 */
final class ScheduledHeap {

    static final String EXCHANGE = "bench.far";
    private static final int WINDOW = 1000;
    private static final long HOUR = 3_600_000;
    private static final Pattern RECOVERED = Pattern.compile(
            "recovered (?<messages>\\d+) delayed messages from (?<files>\\d+) schedule files in (?<ms>\\d+) ms");

    /** The broker after {@code scheduled} messages: rate of the step, live heap, RSS, disk. */
    record Step(long scheduled, double publishRate, long liveHeapKib, long rssKib, long diskBytes) {}

    /** What the restart with everything scheduled took and left. */
    record Restart(Duration spawnToReady, long recovered, int files, long recoveryMillis, long liveHeapKib,
                   long rssKib) {}

    record Result(int messages, int bodySize, List<Step> steps, ProcMemory fillMemory, GcLogPeaks fillGc,
                  Restart restart) {}

    private final DelayOptions options;

    ScheduledHeap(DelayOptions options) {
        this.options = options;
    }

    Result run() throws Exception {
        int n = options.heapMessages();
        Path work = options.workDir();
        List<Step> steps = new ArrayList<>();
        try (ScratchDirectory data = new ScratchDirectory("spool-bench-heap-")) {
            ProcMemory fillMemory;
            try (BrokerProcess broker = start(data.path(), "heap-fill")) {
                Connection c = BrokerClients.connect(broker, "delay-benchmark-heap");
                ManagementClient mgmt = BrokerClients.management(broker);
                Channel ch = c.createChannel();
                ch.exchangeDeclare(EXCHANGE, "x-delayed-message", true, false, Map.of("x-delayed-type", "fanout"));
                ch.confirmSelect();
                ConfirmWindow window = new ConfirmWindow(WINDOW, confirmed -> { });
                ch.addConfirmListener(window);
                steps.add(measure(broker, mgmt, data.path(), 0, 0));
                Random random = new Random(7);
                AtomicLong published = new AtomicLong();
                try (Progress p = new Progress("schedule", n, published::get)) {
                    while (published.get() < n) {
                        long stepStart = System.nanoTime();
                        int stepSize = (int) Math.min(options.heapStep(), n - published.get());
                        for (int i = 0; i < stepSize; i++) {
                            long delay = HOUR + (long) (random.nextDouble() * 24 * HOUR);
                            int number = (int) published.getAndIncrement();
                            window.awaitRoom();
                            window.sent(ch.getNextPublishSeqNo());
                            ch.basicPublish(EXCHANGE, "", delayed(delay), DelayedMessageBody.of(
                                    System.currentTimeMillis() + delay, number, options.bodySize()));
                        }
                        if (!window.awaitAllConfirmed(Duration.ofMinutes(5))) {
                            throw new IllegalStateException("publishes unconfirmed after 5 minutes");
                        }
                        double rate = stepSize * 1e9 / (System.nanoTime() - stepStart);
                        Step step = measure(broker, mgmt, data.path(), published.get(), rate);
                        steps.add(step);
                        System.err.printf("heap: %,d scheduled, live heap %,d KiB, RSS %,d KiB%n", step.scheduled(),
                                step.liveHeapKib(), step.rssKib());
                    }
                }
                fillMemory = broker.memory();
                c.close();
                System.err.println("heap: restarting the broker with everything scheduled");
                broker.stop();
            }
            Restart restart;
            Path log = work.resolve("broker-heap-restart.log");
            try (BrokerProcess broker = start(data.path(), "heap-restart")) {
                Matcher m = RECOVERED.matcher(Files.readString(log, StandardCharsets.UTF_8));
                if (!m.find()) {
                    throw new IllegalStateException("no schedule recovery line in " + log);
                }
                long live = LiveHeap.afterFullGcKib(broker.pid());
                long scheduled = BrokerClients.management(broker).delayedMessages();
                if (scheduled != n) {
                    throw new IllegalStateException("expected " + n + " scheduled after the restart, found " + scheduled);
                }
                restart = new Restart(broker.spawnToReady(), Long.parseLong(m.group("messages")),
                        Integer.parseInt(m.group("files")), Long.parseLong(m.group("ms")), live,
                        broker.memory().rssKib());
                broker.stop();
            }
            return new Result(n, options.bodySize(), steps, fillMemory, GcLogPeaks.read(work.resolve("gc-heap-fill.log")),
                    restart);
        }
    }

    private BrokerProcess start(Path dataDir, String name) throws Exception {
        return BrokerProcess.start(options.spoolHome(), dataDir,
                options.brokerJavaOpts(options.workDir().resolve("gc-" + name + ".log")),
                options.workDir().resolve("broker-" + name + ".log")).awaitReady(Duration.ofMinutes(5));
    }

    private static Step measure(BrokerProcess broker, ManagementClient mgmt, Path dataDir, long expected, double rate)
            throws Exception {
        long scheduled = mgmt.delayedMessages();
        if (scheduled != expected) {
            throw new IllegalStateException("expected " + expected + " scheduled, the broker says " + scheduled);
        }
        long live = LiveHeap.afterFullGcKib(broker.pid());
        return new Step(scheduled, rate, live, broker.memory().rssKib(), DiskUsage.bytes(dataDir));
    }

    private static AMQP.BasicProperties delayed(long delayMillis) {
        return new AMQP.BasicProperties.Builder().deliveryMode(2).headers(Map.of("x-delay", delayMillis)).build();
    }
}
