package io.spool.broker.durability;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.ConfirmListener;
import com.rabbitmq.client.DefaultConsumer;
import com.rabbitmq.client.Envelope;
import com.rabbitmq.client.GetResponse;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Memory follows in-flight work, not depth: a broker with a 128 MiB heap takes 300,000
 * persistent 1 KiB messages (about 300 MiB) into one durable queue, then delivers every one of
 * them, in order, to a consumer acking by hand, without running out of memory, also after a
 * restart that recovers the whole queue. Heavy: runs in
 * {@code mvn verify}, not in quick test runs.
 */
class DeepQueueMemoryIT {

    private static final int MESSAGES = 300_000;
    private static final int BODY = 1024;
    private static final int CONFIRM_WINDOW = 500;
    private static final int PREFETCH = 100;

    /** Exit at the first OutOfMemoryError rather than limp on: the test then sees a dead broker. */
    private static final List<String> SMALL_HEAP = List.of("-Xmx128m", "-XX:+ExitOnOutOfMemoryError");

    @TempDir
    Path tmp;

    @Test
    @Timeout(value = 10, unit = TimeUnit.MINUTES)
    void aSmallHeapTakesAndDeliversADeepQueueOfPersistentMessages() throws Exception {
        Path data = tmp.resolve("data");
        long publishMillis;
        try (BrokerProcess broker = BrokerProcess.start(data, SMALL_HEAP)) {
            assertThat(broker.process().stdout()).anyMatch(l -> l.contains("memory high watermark 51 MiB"));
            Channel ch = broker.connect().createChannel();
            ch.queueDeclare("deep", true, false, false, null);

            long publishStarted = System.nanoTime();
            publishAll(ch);
            publishMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - publishStarted);
            assertAliveWithoutOutOfMemory(broker);
            assertThat(ch.queueDeclarePassive("deep").getMessageCount()).isEqualTo(MESSAGES);
            assertThat(broker.stop()).isZero();
        }
        assertThat(bytesUnder(data.resolve("queues"))).as("bytes stored").isGreaterThan((long) MESSAGES * BODY);

        // A restart with the same small heap recovers the whole queue, then delivers it.
        try (BrokerProcess broker = BrokerProcess.start(data, SMALL_HEAP)) {
            assertThat(broker.process().stdout())
                    .anyMatch(l -> l.contains("recovered queue 'deep': " + MESSAGES + " messages"));

            long consumeStarted = System.nanoTime();
            Channel consumerCh = broker.connect().createChannel();
            consumerCh.basicQos(PREFETCH);
            AtomicInteger next = new AtomicInteger();
            AtomicReference<String> wrong = new AtomicReference<>();
            consumerCh.basicConsume("deep", false, new DefaultConsumer(consumerCh) {
                @Override
                public void handleDelivery(String tag, Envelope envelope, AMQP.BasicProperties props, byte[] body)
                        throws IOException {
                    int index = ByteBuffer.wrap(body).getInt();
                    if (index != next.get() || body.length != BODY || envelope.isRedeliver()) {
                        wrong.compareAndSet(null, "expected message " + next.get() + ", got " + index + " ("
                                + body.length + " bytes, redelivered " + envelope.isRedeliver() + ")");
                    }
                    next.incrementAndGet();
                    getChannel().basicAck(envelope.getDeliveryTag(), false);
                }
            });
            await().atMost(Duration.ofMinutes(5)).pollInterval(Duration.ofMillis(500)).until(() ->
                    next.get() == MESSAGES || wrong.get() != null || !broker.process().process().isAlive());
            long consumeMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - consumeStarted);
            System.out.printf("published %d persistent messages of %d bytes in %d ms; after a restart, consumed them "
                    + "in %d ms%n", MESSAGES, BODY, publishMillis, consumeMillis);

            assertThat(wrong.get()).isNull();
            assertThat(next.get()).isEqualTo(MESSAGES);
            assertAliveWithoutOutOfMemory(broker);

            // Drained, the queue's store gives its disk back.
            await().atMost(Duration.ofSeconds(30)).ignoreExceptions().until(() ->
                    consumerCh.queueDeclarePassive("deep").getMessageCount() == 0
                            && bytesUnder(data.resolve("queues")) < 1024 * 1024);
            assertThat(broker.stop()).isZero();
        }
    }

    /**
     * Memory held for reading is in-flight work too: once a large message read back from disk
     * has been delivered and acked, its queue must not keep a buffer of its size. Here 24
     * queues each deliver one 6 MiB message (read from disk after a restart), more in all than
     * the 128 MiB heap.
     */
    @Test
    @Timeout(value = 5, unit = TimeUnit.MINUTES)
    void queuesDoNotKeepTheMemoryOfLargeMessagesTheyDelivered() throws Exception {
        int queues = 24;
        byte[] large = new byte[6 * 1024 * 1024];
        Path data = tmp.resolve("data");
        try (BrokerProcess broker = BrokerProcess.start(data, SMALL_HEAP)) {
            Channel ch = broker.connect().createChannel();
            ch.confirmSelect();
            AMQP.BasicProperties persistent = new AMQP.BasicProperties.Builder().deliveryMode(2).build();
            for (int q = 0; q < queues; q++) {
                ch.queueDeclare("large-" + q, true, false, false, null);
                ByteBuffer.wrap(large).putInt(0, q);
                ch.basicPublish("", "large-" + q, persistent, large);
                ch.waitForConfirmsOrDie(30_000);
            }
            assertThat(broker.stop()).isZero();
        }
        try (BrokerProcess broker = BrokerProcess.start(data, SMALL_HEAP)) {
            Channel ch = broker.connect().createChannel();
            for (int q = 0; q < queues; q++) {
                GetResponse r = ch.basicGet("large-" + q, false);
                assertThat(r).as("the message of queue large-%d%s", q, broker.process().transcript()).isNotNull();
                assertThat(r.getBody()).hasSize(large.length);
                assertThat(ByteBuffer.wrap(r.getBody()).getInt()).isEqualTo(q);
                ch.basicAck(r.getEnvelope().getDeliveryTag(), false);
            }
            assertAliveWithoutOutOfMemory(broker);
            assertThat(broker.stop()).isZero();
        }
    }

    private static void assertAliveWithoutOutOfMemory(BrokerProcess broker) {
        assertThat(broker.process().process().isAlive()).as(broker.process().transcript()).isTrue();
        List<String> output = new ArrayList<>(broker.process().stdout());
        output.addAll(broker.process().stderr());
        // Netty's OutOfDirectMemoryError too
        assertThat(output).noneMatch(l -> l.matches(".*OutOf\\w*MemoryError.*"));
    }

    /** Publishes every message, persistent, with at most {@link #CONFIRM_WINDOW} unconfirmed. */
    private static void publishAll(Channel ch) throws Exception {
        ch.confirmSelect();
        Semaphore window = new Semaphore(CONFIRM_WINDOW);
        AtomicLong confirmedUpTo = new AtomicLong();
        AtomicInteger nacks = new AtomicInteger();
        ch.addConfirmListener(new ConfirmListener() {
            @Override
            public void handleAck(long seq, boolean multiple) {
                settle(seq, multiple);
            }

            @Override
            public void handleNack(long seq, boolean multiple) {
                nacks.incrementAndGet();
                settle(seq, multiple);
            }

            private void settle(long seq, boolean multiple) {
                // Confirms come in order on one thread: a multiple one covers everything since the last.
                long before = confirmedUpTo.getAndSet(seq);
                window.release(multiple ? (int) (seq - before) : 1);
            }
        });
        AMQP.BasicProperties persistent = new AMQP.BasicProperties.Builder().deliveryMode(2).build();
        byte[] body = new byte[BODY];
        for (int i = 0; i < MESSAGES; i++) {
            assertThat(window.tryAcquire(30, TimeUnit.SECONDS)).as("a confirm within 30 s (message %d)", i).isTrue();
            ByteBuffer.wrap(body).putInt(0, i);
            ch.basicPublish("", "deep", persistent, body);
        }
        ch.waitForConfirmsOrDie(60_000);
        assertThat(nacks.get()).isZero();
    }

    private static long bytesUnder(Path dir) throws IOException {
        try (Stream<Path> files = Files.walk(dir)) {
            long total = 0;
            for (Path p : files.filter(Files::isRegularFile).toList()) {
                total += Files.size(p);
            }
            return total;
        }
    }
}
