package io.spool.broker.jobs;

import static io.spool.broker.jobs.Jobs.args;
import static io.spool.broker.jobs.Jobs.awaitGet;
import static io.spool.broker.jobs.Jobs.bytes;
import static io.spool.broker.jobs.Jobs.deadLetterQueue;
import static io.spool.broker.jobs.Jobs.deathSummary;
import static io.spool.broker.jobs.Jobs.eventually;
import static io.spool.broker.jobs.Jobs.get;
import static io.spool.broker.jobs.Jobs.managementQueue;
import static io.spool.broker.jobs.Jobs.props;
import static io.spool.broker.jobs.Jobs.ready;
import static io.spool.broker.jobs.Jobs.stat;
import static io.spool.broker.jobs.Jobs.sync;
import static io.spool.broker.jobs.Jobs.text;
import static io.spool.broker.jobs.Jobs.throughout;
import static org.assertj.core.api.Assertions.assertThat;

import com.rabbitmq.client.Channel;
import com.rabbitmq.client.ConfirmListener;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.GetResponse;
import io.spool.broker.testing.RecordingConsumer;
import io.spool.broker.testing.TestBroker;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentSkipListSet;
import java.util.Set;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Backpressure: {@code x-max-length} and {@code x-max-length-bytes} over ready messages (body
 * bytes only; unacknowledged messages and messages handed straight to a waiting consumer do not
 * count), with the overflow behaviours drop-head (dropped or dead-lettered as maxlen),
 * reject-publish (nacked to a confirming publisher) and reject-publish-dlx (nacked and
 * dead-lettered).
 */
class MaxLengthTest {

    @RegisterExtension
    final TestBroker broker = new TestBroker();

    private Connection conn;
    private Channel ch;

    @BeforeEach
    void connect() throws Exception {
        conn = broker.connect();
        ch = conn.createChannel();
    }

    /** Publisher confirms as they come: the sequence numbers acked and nacked. */
    private record Confirms(Set<Long> acked, Set<Long> nacked) implements ConfirmListener {
        Confirms() {
            this(new ConcurrentSkipListSet<>(), new ConcurrentSkipListSet<>());
        }

        @Override
        public void handleAck(long tag, boolean multiple) {
            record(acked, tag, multiple);
        }

        @Override
        public void handleNack(long tag, boolean multiple) {
            record(nacked, tag, multiple);
        }

        private void record(Set<Long> into, long tag, boolean multiple) {
            if (multiple) {
                for (long t = 1; t <= tag; t++) {
                    if (!acked.contains(t) && !nacked.contains(t)) {
                        into.add(t);
                    }
                }
            } else {
                into.add(tag);
            }
        }
    }

    private Confirms confirming() throws Exception {
        Confirms c = new Confirms();
        ch.confirmSelect();
        ch.addConfirmListener(c);
        return c;
    }

    /** Publishes through the default exchange; the messages are in the queue on return. */
    private void publish(String queue, String... bodies) throws Exception {
        for (String b : bodies) {
            ch.basicPublish("", queue, null, bytes(b));
        }
        sync(ch);
    }

    private List<String> drain(String queue) throws Exception {
        List<String> out = new ArrayList<>();
        GetResponse r;
        while ((r = ch.basicGet(queue, true)) != null) {
            out.add(text(r.getBody()));
        }
        return out;
    }

    // ---- drop-head ----

    @Test
    void dropHeadKeepsTheNewestMessages() throws Exception {
        ch.queueDeclare("q", false, false, false, args("x-max-length", 2));
        ch.confirmSelect();
        publish("q", "m1", "m2", "m3", "m4");
        // drop-head never refuses: every publish is confirmed.
        assertThat(ch.waitForConfirms(5_000)).isTrue();

        assertThat(ready(broker, "q")).isEqualTo(2);
        assertThat(stat(broker, "q", "dropped")).isEqualTo(2);
        assertThat(drain("q")).containsExactly("m3", "m4");
    }

    @Test
    void dropHeadDeadLettersTheDroppedMessagesAsMaxlen() throws Exception {
        deadLetterQueue(ch);
        ch.queueDeclare("q", false, false, false,
                args("x-max-length", 1, "x-overflow", "drop-head", "x-dead-letter-exchange", "dlx"));
        publish("q", "m1", "m2", "m3");

        eventually().until(() -> ready(broker, "dlq") == 2);
        GetResponse first = get(ch, "dlq");
        assertThat(text(first.getBody())).isEqualTo("m1");
        assertThat(deathSummary(first.getProps())).containsExactly("q/maxlen/1");
        assertThat(text(get(ch, "dlq").getBody())).isEqualTo("m2");
        assertThat(drain("q")).containsExactly("m3");
        assertThat(stat(broker, "q", "dead_lettered")).isEqualTo(2);
    }

    @Test
    void maxLengthBytesCountsBodyBytesOnly() throws Exception {
        ch.queueDeclare("q", false, false, false, args("x-max-length-bytes", 10));
        // Large headers do not count; only the 5-byte bodies do.
        var heavy = props().headers(Map.of("padding", "x".repeat(2_000))).build();
        ch.basicPublish("", "q", heavy, bytes("aaaaa"));
        ch.basicPublish("", "q", heavy, bytes("bbbbb"));
        sync(ch);
        assertThat(ready(broker, "q")).isEqualTo(2);
        assertThat(managementQueue(broker, "q").get("message_bytes_ready").asLong()).isEqualTo(10);

        ch.basicPublish("", "q", heavy, bytes("c"));
        assertThat(drain("q")).containsExactly("bbbbb", "c");
    }

    @Test
    void bothLimitsApply() throws Exception {
        ch.queueDeclare("q", false, false, false, args("x-max-length", 3, "x-max-length-bytes", 4));
        publish("q", "aa", "bb", "cc");
        assertThat(drain("q")).containsExactly("bb", "cc");
        publish("q", "1", "2", "3", "4");
        assertThat(drain("q")).containsExactly("2", "3", "4");
    }

    @Test
    void unacknowledgedMessagesDoNotCount() throws Exception {
        ch.queueDeclare("q", false, false, false, args("x-max-length", 1));
        Channel worker = conn.createChannel();
        worker.basicQos(1);
        RecordingConsumer consumer = new RecordingConsumer(worker);
        worker.basicConsume("q", false, consumer);
        consumer.awaitConsumeOk();
        publish("q", "in flight");
        RecordingConsumer.Received inFlight = consumer.next();

        publish("q", "ready");
        assertThat(ready(broker, "q")).isEqualTo(1);
        assertThat(stat(broker, "q", "dropped")).isZero();
        publish("q", "newer");
        assertThat(stat(broker, "q", "dropped")).isEqualTo(1);

        worker.basicAck(inFlight.deliveryTag(), false);
        assertThat(consumer.next().text()).isEqualTo("newer");
    }

    @Test
    void aMessageHandedStraightToAWaitingConsumerIsNotCounted() throws Exception {
        ch.queueDeclare("q", false, false, false, args("x-max-length", 0));
        // Nobody waiting: with room for nothing, the message is dropped at once.
        publish("q", "dropped");
        assertThat(ready(broker, "q")).isZero();
        assertThat(stat(broker, "q", "dropped")).isEqualTo(1);

        Channel worker = conn.createChannel();
        RecordingConsumer consumer = new RecordingConsumer(worker, true);
        worker.basicConsume("q", false, consumer);
        consumer.awaitConsumeOk();
        publish("q", "delivered");
        assertThat(consumer.next().text()).isEqualTo("delivered");
        assertThat(stat(broker, "q", "dropped")).isEqualTo(1);
    }

    @Test
    void requeuedMessagesCountAsReadyAndTheirBytesLeaveWithThem() throws Exception {
        ch.queueDeclare("q", false, false, false, args("x-max-length", 2));
        publish("q", "m1", "m2");
        GetResponse r = get(ch, "q");
        publish("q", "m3");
        ch.basicNack(r.getEnvelope().getDeliveryTag(), false, true);
        sync(ch);
        // m1 is back, ahead of m2 and m3: three ready, so the head (m1 again) goes.
        assertThat(ready(broker, "q")).isEqualTo(2);
        assertThat(drain("q")).containsExactly("m2", "m3");
        assertThat(managementQueue(broker, "q").get("message_bytes_ready").asLong()).isZero();
    }

    // ---- reject-publish ----

    @Test
    void rejectPublishNacksTheRefusedPublishAndKeepsTheQueue() throws Exception {
        ch.queueDeclare("q", false, false, false, args("x-max-length", 2, "x-overflow", "reject-publish"));
        Confirms confirms = confirming();
        publish("q", "m1", "m2", "m3");

        eventually().until(() -> confirms.acked().size() + confirms.nacked().size() == 3);
        assertThat(confirms.acked()).containsExactly(1L, 2L);
        assertThat(confirms.nacked()).containsExactly(3L);
        assertThat(stat(broker, "q", "rejected")).isEqualTo(1);
        assertThat(stat(broker, "q", "dropped")).isZero();

        // Room again: accepted again.
        ch.basicGet("q", true);
        publish("q", "m4");
        eventually().until(() -> confirms.acked().contains(4L));
        assertThat(drain("q")).containsExactly("m2", "m4");
    }

    @Test
    void rejectPublishWithoutConfirmsDropsSilently() throws Exception {
        ch.queueDeclare("q", false, false, false, args("x-max-length", 1, "x-overflow", "reject-publish"));
        publish("q", "kept", "refused");
        eventually().until(() -> stat(broker, "q", "rejected") == 1);
        assertThat(ch.isOpen()).isTrue();
        assertThat(drain("q")).containsExactly("kept");
    }

    @Test
    void rejectPublishByBytes() throws Exception {
        ch.queueDeclare("q", false, false, false, args("x-max-length-bytes", 5, "x-overflow", "reject-publish"));
        Confirms confirms = confirming();
        publish("q", "abc", "de", "f");
        eventually().until(() -> confirms.acked().size() + confirms.nacked().size() == 3);
        assertThat(confirms.nacked()).containsExactly(3L);
        assertThat(drain("q")).containsExactly("abc", "de");
    }

    @Test
    void rejectPublishRefusesEvenWhenAConsumerIsWaiting() throws Exception {
        ch.queueDeclare("q", false, false, false, args("x-max-length", 0, "x-overflow", "reject-publish"));
        Channel worker = conn.createChannel();
        RecordingConsumer consumer = new RecordingConsumer(worker, true);
        worker.basicConsume("q", false, consumer);
        consumer.awaitConsumeOk();
        Confirms confirms = confirming();
        publish("q", "refused");

        eventually().until(() -> confirms.nacked().contains(1L));
        throughout(200).until(() -> consumer.count() == 0);
    }

    @Test
    void refusedByOneQueueIsNackedButTheOtherQueuesKeepIt() throws Exception {
        ch.exchangeDeclare("fan", "fanout");
        ch.queueDeclare("full", false, false, false, args("x-max-length", 0, "x-overflow", "reject-publish"));
        ch.queueDeclare("open", false, false, false, null);
        ch.queueBind("full", "fan", "");
        ch.queueBind("open", "fan", "");
        Confirms confirms = confirming();
        ch.basicPublish("fan", "", null, bytes("m"));

        eventually().until(() -> confirms.nacked().contains(1L));
        assertThat(drain("open")).containsExactly("m");
        assertThat(ready(broker, "full")).isZero();
    }

    @Test
    void unacknowledgedMessagesDoNotCountForRejectPublishEither() throws Exception {
        ch.queueDeclare("q", false, false, false, args("x-max-length", 1, "x-overflow", "reject-publish"));
        Confirms confirms = confirming();
        publish("q", "m1");
        GetResponse inFlight = get(ch, "q");
        publish("q", "m2");
        eventually().until(() -> confirms.acked().size() == 2);
        assertThat(confirms.nacked()).isEmpty();
        ch.basicAck(inFlight.getEnvelope().getDeliveryTag(), false);
    }

    @Test
    void aRedeliveredMessageNoLongerCountsOnceTakenAgain() throws Exception {
        ch.queueDeclare("q", false, false, false, args("x-max-length-bytes", 10, "x-overflow", "reject-publish"));
        Confirms confirms = confirming();
        publish("q", "8 bytes!");
        GetResponse r = get(ch, "q");
        ch.basicNack(r.getEnvelope().getDeliveryTag(), false, true);
        GetResponse again = get(ch, "q");
        ch.basicAck(again.getEnvelope().getDeliveryTag(), false);
        sync(ch);
        assertThat(ready(broker, "q")).isZero();

        // The queue is empty: there is room for another 8 bytes.
        publish("q", "8 more!!");
        eventually().until(() -> confirms.acked().size() + confirms.nacked().size() == 2);
        assertThat(confirms.nacked()).isEmpty();
        assertThat(managementQueue(broker, "q").get("message_bytes_ready").asLong()).isEqualTo(8);
    }

    // ---- reject-publish-dlx ----

    @Test
    void rejectPublishDlxNacksAndDeadLettersTheRefusedMessage() throws Exception {
        deadLetterQueue(ch);
        ch.queueDeclare("q", false, false, false,
                args("x-max-length", 1, "x-overflow", "reject-publish-dlx", "x-dead-letter-exchange", "dlx"));
        Confirms confirms = confirming();
        publish("q", "kept", "refused");

        eventually().until(() -> confirms.nacked().contains(2L));
        assertThat(confirms.acked()).containsExactly(1L);
        GetResponse dead = awaitGet(ch, "dlq");
        assertThat(text(dead.getBody())).isEqualTo("refused");
        assertThat(deathSummary(dead.getProps())).containsExactly("q/maxlen/1");
        assertThat(drain("q")).containsExactly("kept");
        assertThat(stat(broker, "q", "rejected")).isEqualTo(1);
        assertThat(stat(broker, "q", "dead_lettered")).isEqualTo(1);
    }

    // ---- interplay ----

    @Test
    void expiredAndDroppedMessagesOfOneQueueReachTheDeadLetterQueueWithTheirReasons() throws Exception {
        deadLetterQueue(ch);
        ch.queueDeclare("q", false, false, false,
                args("x-max-length", 2, "x-message-ttl", 200, "x-dead-letter-exchange", "dlx"));
        publish("q", "m1", "m2", "m3");

        eventually().until(() -> ready(broker, "dlq") == 3);
        List<String> seen = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            GetResponse r = get(ch, "dlq");
            seen.add(text(r.getBody()) + " " + deathSummary(r.getProps()));
        }
        // m1 made room for m3 at once; m2 and m3 expired later.
        assertThat(seen).containsExactly("m1 [q/maxlen/1]", "m2 [q/expired/1]", "m3 [q/expired/1]");
        assertThat(ready(broker, "q")).isZero();
        assertThat(stat(broker, "q", "expired")).isEqualTo(2);
        assertThat(stat(broker, "q", "dropped")).isEqualTo(1);
        assertThat(stat(broker, "q", "dead_lettered")).isEqualTo(3);
    }

    @Test
    void anExpiredMessageNoLongerTakesRoomInAMaxLengthQueue() throws Exception {
        ch.queueDeclare("q", false, false, false, args("x-max-length", 1, "x-overflow", "reject-publish"));
        Confirms confirms = confirming();
        ch.basicPublish("", "q", props().expiration("100").build(), bytes("short-lived"));
        sync(ch);
        eventually().until(() -> ready(broker, "q") == 0);
        publish("q", "fits");
        eventually().until(() -> confirms.acked().size() == 2);
        assertThat(confirms.nacked()).isEmpty();
    }
}
