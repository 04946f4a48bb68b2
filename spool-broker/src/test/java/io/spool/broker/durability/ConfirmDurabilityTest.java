package io.spool.broker.durability;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.rabbitmq.client.Channel;
import com.rabbitmq.client.MessageProperties;
import io.spool.broker.model.Message;
import io.spool.broker.model.Queue;
import io.spool.broker.store.GroupCommit;
import io.spool.broker.testing.RecordingConsumer;
import io.spool.broker.testing.TestBroker;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Publisher confirms and the group commit: a persistent message routed to a durable queue is
 * confirmed only once an fsync has covered it, other messages are confirmed without one, and
 * many concurrent publishers share fsyncs.
 */
class ConfirmDurabilityTest {

    @RegisterExtension
    final TestBroker broker = new TestBroker();

    private static byte[] bytes(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    private GroupCommit commit() {
        return broker.broker().storage().commit();
    }

    @Test
    void aPersistentMessageToADurableQueueIsConfirmedOnlyAfterAnFsync() throws Exception {
        Channel ch = broker.connect().createChannel();
        ch.queueDeclare("durable", true, false, false, null);
        ch.confirmSelect();
        for (int i = 0; i < 50; i++) {
            long fsyncsBefore = commit().fsyncs();
            ch.basicPublish("", "durable", MessageProperties.PERSISTENT_BASIC, bytes("m" + i));
            ch.waitForConfirmsOrDie(10_000);
            assertThat(commit().fsyncs()).as("fsyncs when message %d was confirmed", i).isGreaterThan(fsyncsBefore);
        }
        assertThat(ch.queueDeclarePassive("durable").getMessageCount()).isEqualTo(50);
    }

    @Test
    void transientMessagesAndNonDurableQueuesAreConfirmedWithoutAnFsync() throws Exception {
        Channel ch = broker.connect().createChannel();
        ch.queueDeclare("durable", true, false, false, null);
        ch.queueDeclare("non-durable", false, false, false, null);
        ch.confirmSelect();
        long fsyncsBefore = commit().fsyncs();
        for (int i = 0; i < 100; i++) {
            ch.basicPublish("", "durable", MessageProperties.BASIC, new byte[10]);
            ch.basicPublish("", "non-durable", MessageProperties.PERSISTENT_BASIC, new byte[10]);
            ch.basicPublish("", "no-such-queue", MessageProperties.PERSISTENT_BASIC, new byte[10]);
        }
        ch.waitForConfirmsOrDie(10_000);
        // Consuming and acking them needs no fsync either.
        for (String q : List.of("durable", "non-durable")) {
            for (int i = 0; i < 100; i++) {
                ch.basicAck(ch.basicGet(q, false).getEnvelope().getDeliveryTag(), false);
            }
        }
        assertThat(ch.queueDeclarePassive("durable").getMessageCount()).isZero();
        assertThat(commit().fsyncs()).isEqualTo(fsyncsBefore);
    }

    @Test
    void txCommitOkComesAfterAnFsyncAndOnlyCommittedMessagesSurviveARestart() throws Exception {
        Channel ch = broker.connect().createChannel();
        ch.queueDeclare("tx", true, false, false, null);
        ch.txSelect();
        ch.basicPublish("", "tx", MessageProperties.PERSISTENT_BASIC, bytes("rolled back"));
        ch.txRollback();
        for (int i = 0; i < 10; i++) {
            long fsyncsBefore = commit().fsyncs();
            ch.basicPublish("", "tx", MessageProperties.PERSISTENT_BASIC, bytes("committed " + i));
            ch.txCommit();
            assertThat(commit().fsyncs()).as("fsyncs when commit %d was ok", i).isGreaterThan(fsyncsBefore);
        }
        ch.basicPublish("", "tx", MessageProperties.PERSISTENT_BASIC, bytes("never committed"));

        broker.restart();

        Channel after = broker.connect().createChannel();
        List<String> bodies = new ArrayList<>();
        for (var r = after.basicGet("tx", true); r != null; r = after.basicGet("tx", true)) {
            bodies.add(new String(r.getBody(), StandardCharsets.UTF_8));
        }
        assertThat(bodies).containsExactlyElementsOf(
                IntStream.range(0, 10).mapToObj(i -> "committed " + i).toList());
    }

    @Test
    void confirmsKeepComingWhileDurableQueuesAreDeletedAndDeclaredAgainUnderLoad() throws Exception {
        List<String> queues = List.of("churn-0", "churn-1", "churn-2", "churn-3");
        Channel admin = broker.connect().createChannel();
        for (String q : queues) {
            admin.queueDeclare(q, true, false, false, null);
        }
        AtomicBoolean stop = new AtomicBoolean();
        List<CompletableFuture<Integer>> publishers = new ArrayList<>();
        for (int p = 0; p < 4; p++) {
            Channel ch = broker.connect().createChannel();
            ch.confirmSelect();
            publishers.add(CompletableFuture.supplyAsync(() -> {
                try {
                    int batches = 0;
                    while (!stop.get()) {
                        for (String q : queues) {
                            ch.basicPublish("", q, MessageProperties.PERSISTENT_BASIC, new byte[200]);
                        }
                        // Every publish is confirmed (acked): one to a queue just deleted is simply unroutable.
                        assertThat(ch.waitForConfirms(10_000)).isTrue();
                        batches++;
                    }
                    return batches;
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            }, runnable -> Thread.ofPlatform().daemon().start(runnable)));
        }
        List<RecordingConsumer> consumers = new ArrayList<>();
        for (int round = 0; round < 30; round++) {
            String q = queues.get(round % queues.size());
            Channel consumerCh = broker.connect().createChannel();
            consumerCh.basicQos(20);
            RecordingConsumer c = new RecordingConsumer(consumerCh, true);
            consumerCh.basicConsume(q, false, c);
            consumers.add(c);
            c.next(); // some traffic on this queue before it goes
            admin.queueDelete(q);
            admin.queueDeclare(q, true, false, false, null);
        }
        stop.set(true);
        for (CompletableFuture<Integer> p : publishers) {
            assertThat(p.get(30, TimeUnit.SECONDS)).isPositive();
        }
        // The store and the group commit are still sound: a new persistent message is confirmed
        // and survives a restart, alone in its queue.
        Channel last = broker.connect().createChannel();
        last.confirmSelect();
        last.queuePurge("churn-0");
        last.basicPublish("", "churn-0", MessageProperties.PERSISTENT_BASIC, bytes("last"));
        last.waitForConfirmsOrDie(10_000);
        broker.restart();
        Channel after = broker.connect().createChannel();
        assertThat(new String(after.basicGet("churn-0", true).getBody(), StandardCharsets.UTF_8)).isEqualTo("last");
        assertThat(after.basicGet("churn-0", true)).isNull();
    }

    /**
     * Group commit: every message that arrives while a commit is under way shares the next
     * fsync. The test makes "under way" last as long as it needs, without timing: it holds the
     * lock of another durable queue that has a message waiting to be flushed, so the commit
     * thread waits for it; meanwhile 16 publishers each publish one persistent message. None is
     * confirmed while the commit is held; once it is let go, one or two fsyncs confirm all 16.
     */
    @Test
    void sixteenConcurrentConfirmingPublishersShareFsyncs() throws Exception {
        int publishers = 16;
        int rounds = 10;
        Channel setup = broker.connect().createChannel();
        setup.queueDeclare("shared", true, false, false, null);
        setup.queueDeclare("holds-the-commit", true, false, false, null);
        Queue holdsTheCommit = broker.broker().vhost().queue("holds-the-commit");
        io.spool.broker.model.MessageProperties persistent =
                new io.spool.broker.model.MessageProperties.Builder().deliveryMode(2).build();
        List<Channel> channels = new ArrayList<>();
        for (int p = 0; p < publishers; p++) {
            Channel ch = broker.connect().createChannel();
            ch.confirmSelect();
            channels.add(ch);
        }
        ExecutorService threads = Executors.newFixedThreadPool(publishers);
        try {
            long fsyncsBefore = commit().fsyncs();
            for (int round = 1; round <= rounds; round++) {
                List<CompletableFuture<Void>> confirmed = new ArrayList<>();
                synchronized (holdsTheCommit) {
                    holdsTheCommit.enqueue(new Message("", "holds-the-commit", persistent, new byte[10]));
                    for (Channel ch : channels) {
                        confirmed.add(CompletableFuture.runAsync(() -> {
                            try {
                                ch.basicPublish("", "shared", MessageProperties.PERSISTENT_BASIC, new byte[100]);
                                ch.waitForConfirmsOrDie(30_000);
                            } catch (Exception e) {
                                throw new IllegalStateException(e);
                            }
                        }, threads));
                    }
                    int expected = publishers * round;
                    await().atMost(Duration.ofSeconds(10))
                            .until(() -> setup.queueDeclarePassive("shared").getMessageCount() == expected);
                    assertThat(confirmed).as("confirmed while the commit was held").noneMatch(CompletableFuture::isDone);
                }
                CompletableFuture.allOf(confirmed.toArray(CompletableFuture[]::new)).get(30, TimeUnit.SECONDS);
            }
            long fsyncs = commit().fsyncs() - fsyncsBefore;
            // Per round: one fsync for the holding queue's segment, one for all 16 messages
            // (and some slack); without group commit it would be 17.
            assertThat(fsyncs).as("fsyncs for %d rounds of %d confirmed messages", rounds, publishers)
                    .isPositive()
                    .isLessThanOrEqualTo(3L * rounds);
        } finally {
            threads.shutdownNow();
        }
    }
}
