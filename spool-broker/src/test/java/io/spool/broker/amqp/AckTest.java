package io.spool.broker.amqp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.GetResponse;
import io.spool.broker.model.Queue;
import io.spool.broker.testing.CloseReasons;
import io.spool.broker.testing.RecordingConsumer;
import io.spool.broker.testing.RecordingConsumer.Received;
import io.spool.broker.testing.TestBroker;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** basic.ack, basic.nack, basic.reject and basic.recover, and the errors RabbitMQ gives. */
class AckTest {

    @RegisterExtension
    final TestBroker broker = new TestBroker();

    private Connection conn;
    private Channel pub;
    private Channel ch;
    private String q;

    @BeforeEach
    void setUp() throws Exception {
        conn = broker.connect();
        pub = conn.createChannel();
        ch = conn.createChannel();
        q = pub.queueDeclare("jobs", false, false, false, null).getQueue();
    }

    private void publishNumbered(int n) throws Exception {
        for (int i = 0; i < n; i++) {
            pub.basicPublish("", q, null, ("m" + i).getBytes(StandardCharsets.UTF_8));
        }
        await().atMost(Duration.ofSeconds(5)).until(() -> stats().ready() + stats().unacked() >= n);
    }

    private Queue.QueueStats stats() {
        return broker.broker().vhost().queue(q).stats();
    }

    private void awaitCounts(int ready, int unacked) {
        await().atMost(Duration.ofSeconds(5)).untilAsserted(() ->
                assertThat(stats()).extracting(Queue.QueueStats::ready, Queue.QueueStats::unacked)
                        .as("ready, unacked").containsExactly(ready, unacked));
    }

    private List<GetResponse> getAll(int n) throws Exception {
        List<GetResponse> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            GetResponse r = ch.basicGet(q, false);
            assertThat(r).as("message %d", i).isNotNull();
            out.add(r);
        }
        return out;
    }

    private static String text(GetResponse r) {
        return new String(r.getBody(), StandardCharsets.UTF_8);
    }

    // ---- ack ----

    @Test
    void ackRemovesTheMessage() throws Exception {
        publishNumbered(2);
        List<GetResponse> got = getAll(2);
        awaitCounts(0, 2);

        ch.basicAck(got.get(0).getEnvelope().getDeliveryTag(), false);
        awaitCounts(0, 1);
        ch.basicAck(got.get(1).getEnvelope().getDeliveryTag(), false);
        awaitCounts(0, 0);
        assertThat(stats().acked()).isEqualTo(2);
        assertThat(ch.isOpen()).isTrue();
    }

    @Test
    void multipleAckSettlesEverythingUpToTheTag() throws Exception {
        publishNumbered(5);
        List<GetResponse> got = getAll(5);

        ch.basicAck(got.get(2).getEnvelope().getDeliveryTag(), true);

        awaitCounts(0, 2);
        ch.basicAck(got.get(4).getEnvelope().getDeliveryTag(), true);
        awaitCounts(0, 0);
    }

    @Test
    void multipleAckWithTagZeroSettlesEverything() throws Exception {
        publishNumbered(4);
        getAll(4);

        ch.basicAck(0, true);

        awaitCounts(0, 0);
        // Nothing outstanding is not an error either.
        ch.basicAck(0, true);
        assertThat(ch.queueDeclarePassive(q).getMessageCount()).isZero();
        assertThat(ch.isOpen()).isTrue();
    }

    @Test
    void multipleNackWithTagZeroRequeuesEverything() throws Exception {
        publishNumbered(3);
        getAll(3);

        ch.basicNack(0, true, true);

        awaitCounts(3, 0);
    }

    @Test
    void unknownDeliveryTagIs406() throws Exception {
        ch.basicAck(42, false);

        CloseReasons.awaitClosed(ch).isChannelError(406, "PRECONDITION_FAILED - unknown delivery tag 42")
                .failedMethod(60, 80);
        assertThat(conn.isOpen()).isTrue();
    }

    @Test
    void ackingTwiceIs406() throws Exception {
        publishNumbered(1);
        long tag = getAll(1).get(0).getEnvelope().getDeliveryTag();
        ch.basicAck(tag, false);
        ch.basicAck(tag, false);

        CloseReasons.awaitClosed(ch).isChannelError(406, "PRECONDITION_FAILED - unknown delivery tag " + tag);
    }

    @Test
    void multipleAckNeedsTheExactTagOutstanding() throws Exception {
        publishNumbered(3);
        List<GetResponse> got = getAll(3);
        ch.basicAck(got.get(1).getEnvelope().getDeliveryTag(), false);

        // Tag 1 is outstanding, but tag 2 itself is not.
        ch.basicAck(got.get(1).getEnvelope().getDeliveryTag(), true);

        CloseReasons.awaitClosed(ch).isChannelError(406, "PRECONDITION_FAILED - unknown delivery tag 2");
    }

    @Test
    void singleAckOrRejectOfTagZeroIs406() throws Exception {
        ch.basicReject(0, true);

        CloseReasons.awaitClosed(ch).isChannelError(406, "PRECONDITION_FAILED - unknown delivery tag 0");
    }

    @Test
    void tagsFromAnotherChannelAreUnknownHere() throws Exception {
        publishNumbered(1);
        long tag = getAll(1).get(0).getEnvelope().getDeliveryTag();
        Channel other = conn.createChannel();

        other.basicAck(tag, false);

        CloseReasons.awaitClosed(other).isChannelError(406, "PRECONDITION_FAILED - unknown delivery tag " + tag);
        // The delivery is still outstanding on its own channel.
        ch.basicAck(tag, false);
        awaitCounts(0, 0);
    }

    // ---- nack and reject ----

    @Test
    void rejectWithRequeueBringsTheMessageBackRedelivered() throws Exception {
        publishNumbered(1);
        GetResponse r = getAll(1).get(0);

        ch.basicReject(r.getEnvelope().getDeliveryTag(), true);

        awaitCounts(1, 0);
        GetResponse again = ch.basicGet(q, false);
        assertThat(text(again)).isEqualTo("m0");
        assertThat(again.getEnvelope().isRedeliver()).isTrue();
    }

    @Test
    void rejectWithoutRequeueDropsTheMessage() throws Exception {
        publishNumbered(2);
        GetResponse r = getAll(1).get(0);

        ch.basicReject(r.getEnvelope().getDeliveryTag(), false);

        awaitCounts(1, 0);
        GetResponse next = ch.basicGet(q, true);
        assertThat(text(next)).isEqualTo("m1");
        assertThat(next.getEnvelope().isRedeliver()).isFalse();
    }

    @Test
    void multipleNackWithoutRequeueDropsThemAll() throws Exception {
        publishNumbered(4);
        List<GetResponse> got = getAll(3);

        ch.basicNack(got.get(2).getEnvelope().getDeliveryTag(), true, false);

        awaitCounts(1, 0);
        assertThat(text(ch.basicGet(q, true))).isEqualTo("m3");
    }

    @Test
    void requeuedMessagesComeBackRedeliveredInTheirOriginalOrder() throws Exception {
        publishNumbered(5);
        RecordingConsumer c = new RecordingConsumer(ch);
        ch.basicConsume(q, false, c);
        List<Received> first = c.next(5);
        assertThat(first).extracting(Received::text).containsExactly("m0", "m1", "m2", "m3", "m4");
        assertThat(first).noneMatch(Received::redelivered);

        ch.basicNack(first.get(4).deliveryTag(), true, true);

        List<Received> again = c.next(5);
        assertThat(again).extracting(Received::text).containsExactly("m0", "m1", "m2", "m3", "m4");
        assertThat(again).allMatch(Received::redelivered);
        assertThat(again).extracting(Received::deliveryTag).containsExactly(6L, 7L, 8L, 9L, 10L);
    }

    @Test
    void requeuedMessagesGoBackToTheirPlaceAheadOfNewerOnes() throws Exception {
        publishNumbered(4);
        List<GetResponse> got = getAll(4);

        // Rejected out of order: m2 first, then m0; m1 and m3 are acked.
        ch.basicReject(got.get(2).getEnvelope().getDeliveryTag(), true);
        ch.basicAck(got.get(1).getEnvelope().getDeliveryTag(), false);
        ch.basicReject(got.get(0).getEnvelope().getDeliveryTag(), true);
        ch.basicAck(got.get(3).getEnvelope().getDeliveryTag(), false);
        pub.basicPublish("", q, null, "m4".getBytes(StandardCharsets.UTF_8));
        awaitCounts(3, 0);

        List<GetResponse> again = getAll(3);
        assertThat(again).extracting(AckTest::text).containsExactly("m0", "m2", "m4");
        assertThat(again).extracting(r -> r.getEnvelope().isRedeliver()).containsExactly(true, true, false);
    }

    @Test
    void consumerPrefetchCreditReturnsOnNackAndReject() throws Exception {
        publishNumbered(3);
        ch.basicQos(1);
        RecordingConsumer c = new RecordingConsumer(ch);
        ch.basicConsume(q, false, c);

        Received first = c.next();
        ch.basicReject(first.deliveryTag(), false);
        Received second = c.next();
        ch.basicNack(second.deliveryTag(), false, false);
        Received third = c.next();

        assertThat(List.of(first, second, third)).extracting(Received::text).containsExactly("m0", "m1", "m2");
        ch.basicAck(third.deliveryTag(), false);
        awaitCounts(0, 0);
    }

    // ---- recover ----

    @Test
    void recoverRequeuesAndRedeliversEverythingUnacked() throws Exception {
        publishNumbered(3);
        RecordingConsumer c = new RecordingConsumer(ch);
        ch.basicConsume(q, false, c);
        List<Received> first = c.next(3);
        assertThat(first).noneMatch(Received::redelivered);

        ch.basicRecover(true);

        List<Received> again = c.next(3);
        assertThat(again).extracting(Received::text).containsExactly("m0", "m1", "m2");
        assertThat(again).allMatch(Received::redelivered);
        // The old tags are gone; the new ones work.
        ch.basicAck(again.get(2).deliveryTag(), true);
        awaitCounts(0, 0);
    }

    @Test
    void recoverWithoutRequeueIsNotImplemented() throws Exception {
        assertThatThrownBy(() -> ch.basicRecover(false))
                .satisfies(e -> CloseReasons.of(e).isConnectionError(540, "NOT_IMPLEMENTED - requeue=false")
                        .failedMethod(60, 110));
    }

    // ---- qos ----

    @Test
    void prefetchSizeIsNotImplemented() throws Exception {
        assertThatThrownBy(() -> ch.basicQos(1024, 10, false))
                .satisfies(e -> CloseReasons.of(e).isConnectionError(540, "NOT_IMPLEMENTED - prefetch_size!=0 (1024)")
                        .failedMethod(60, 10));
        CloseReasons.awaitClosed(conn);
    }
}
