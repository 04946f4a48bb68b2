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
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** tx.select, tx.commit and tx.rollback: publishes and acks take effect at commit, or never. */
class TransactionTest {

    @RegisterExtension
    final TestBroker broker = new TestBroker();

    private Connection conn;
    private Channel observer;
    private String q;

    @BeforeEach
    void setUp() throws Exception {
        conn = broker.connect();
        observer = conn.createChannel();
        q = observer.queueDeclare("tx", false, false, false, null).getQueue();
    }

    private Queue.QueueStats stats() {
        return broker.broker().vhost().queue(q).stats();
    }

    private void awaitCounts(int ready, int unacked) {
        await().atMost(Duration.ofSeconds(5)).untilAsserted(() ->
                assertThat(stats()).extracting(Queue.QueueStats::ready, Queue.QueueStats::unacked)
                        .as("ready, unacked").containsExactly(ready, unacked));
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private int messageCount() throws Exception {
        return observer.queueDeclarePassive(q).getMessageCount();
    }

    @Test
    void publishesAreInvisibleUntilCommit() throws Exception {
        Channel tx = conn.createChannel();
        tx.txSelect();
        tx.basicPublish("", q, null, bytes("a"));
        tx.basicPublish("", q, null, bytes("b"));
        tx.basicPublish("", q, null, bytes("c"));
        // A synchronous call on the tx channel proves the broker has read the publishes.
        tx.queueDeclarePassive(q);

        assertThat(messageCount()).isZero();
        assertThat(observer.basicGet(q, true)).isNull();

        tx.txCommit();

        assertThat(messageCount()).isEqualTo(3);
        assertThat(new String(observer.basicGet(q, true).getBody(), StandardCharsets.UTF_8)).isEqualTo("a");
    }

    @Test
    void rollbackDropsThePublishes() throws Exception {
        Channel tx = conn.createChannel();
        tx.txSelect();
        tx.basicPublish("", q, null, bytes("never"));
        tx.basicPublish("", q, null, bytes("seen"));

        tx.txRollback();
        tx.txCommit();

        assertThat(messageCount()).isZero();
        // The channel stays transactional: the next transaction works.
        tx.basicPublish("", q, null, bytes("next"));
        tx.txCommit();
        assertThat(messageCount()).isEqualTo(1);
    }

    @Test
    void consumersSeeCommittedMessagesOnlyAfterCommit() throws Exception {
        Channel consumerCh = conn.createChannel();
        RecordingConsumer c = new RecordingConsumer(consumerCh, true);
        consumerCh.basicConsume(q, false, c);
        Channel tx = conn.createChannel();
        tx.txSelect();

        tx.basicPublish("", q, null, bytes("first"));
        tx.txRollback();
        tx.basicPublish("", q, null, bytes("second"));
        tx.queueDeclarePassive(q);
        assertThat(stats().delivered()).isZero();
        tx.txCommit();

        assertThat(c.next().text()).isEqualTo("second");
        await().atMost(Duration.ofSeconds(5)).until(() -> stats().acked() == 1);
        assertThat(c.count()).isEqualTo(1);
    }

    @Test
    void mandatoryUnroutablePublishIsReturnedAtCommit() throws Exception {
        Channel tx = conn.createChannel();
        List<String> returns = new CopyOnWriteArrayList<>();
        tx.addReturnListener(r -> returns.add(r.getReplyCode() + " " + r.getRoutingKey()));
        tx.txSelect();
        tx.basicPublish("", "no-such-queue", true, null, bytes("x"));
        tx.queueDeclarePassive(q);
        assertThat(returns).isEmpty();

        tx.txCommit();

        await().atMost(Duration.ofSeconds(5)).until(() -> returns.size() == 1);
        assertThat(returns).containsExactly("312 no-such-queue");
    }

    @Test
    void acksInATransactionApplyOnCommit() throws Exception {
        for (String s : List.of("a", "b", "c")) {
            observer.basicPublish("", q, null, bytes(s));
        }
        Channel tx = conn.createChannel();
        tx.txSelect();
        RecordingConsumer c = new RecordingConsumer(tx);
        tx.basicConsume(q, false, c);
        List<Received> got = c.next(3);
        awaitCounts(0, 3);

        tx.basicAck(got.get(2).deliveryTag(), true);
        tx.queueDeclarePassive(q);
        assertThat(stats().unacked()).isEqualTo(3);

        tx.txCommit();

        awaitCounts(0, 0);
        assertThat(stats().acked()).isEqualTo(3);
    }

    @Test
    void prefetchCreditOfTransactionalAcksReturnsAtCommit() throws Exception {
        for (String s : List.of("a", "b", "c")) {
            observer.basicPublish("", q, null, bytes(s));
        }
        Channel tx = conn.createChannel();
        tx.txSelect();
        tx.basicQos(1);
        RecordingConsumer c = new RecordingConsumer(tx);
        tx.basicConsume(q, false, c);
        Received first = c.next();

        tx.basicAck(first.deliveryTag(), false);
        tx.queueDeclarePassive(q);
        assertThat(stats().delivered()).isEqualTo(1);

        tx.txCommit();

        assertThat(c.next().text()).isEqualTo("b");
        await().atMost(Duration.ofSeconds(5)).untilAsserted(() ->
                assertThat(stats()).extracting(Queue.QueueStats::ready, Queue.QueueStats::unacked,
                        Queue.QueueStats::delivered).containsExactly(1, 1, 2L));
    }

    @Test
    void rejectsInATransactionApplyOnCommit() throws Exception {
        observer.basicPublish("", q, null, bytes("a"));
        Channel tx = conn.createChannel();
        tx.txSelect();
        GetResponse r = tx.basicGet(q, false);

        tx.basicReject(r.getEnvelope().getDeliveryTag(), true);
        tx.queueDeclarePassive(q);
        awaitCounts(0, 1);
        tx.txCommit();

        awaitCounts(1, 0);
    }

    @Test
    void rolledBackAcksLeaveTheMessagesUnackedAndClosingRequeuesThem() throws Exception {
        for (String s : List.of("a", "b")) {
            observer.basicPublish("", q, null, bytes(s));
        }
        Channel tx = conn.createChannel();
        tx.txSelect();
        GetResponse a = tx.basicGet(q, false);
        GetResponse b = tx.basicGet(q, false);
        tx.basicAck(b.getEnvelope().getDeliveryTag(), true);

        tx.txRollback();

        // Not requeued: still held by this channel, and the tags are valid again.
        awaitCounts(0, 2);
        tx.basicAck(a.getEnvelope().getDeliveryTag(), false);
        tx.txCommit();
        awaitCounts(0, 1);

        tx.close();

        awaitCounts(1, 0);
        GetResponse again = observer.basicGet(q, true);
        assertThat(new String(again.getBody(), StandardCharsets.UTF_8)).isEqualTo("b");
        assertThat(again.getEnvelope().isRedeliver()).isTrue();
    }

    @Test
    void closingWithPendingAcksRequeuesThoseMessages() throws Exception {
        observer.basicPublish("", q, null, bytes("a"));
        Channel tx = conn.createChannel();
        tx.txSelect();
        GetResponse a = tx.basicGet(q, false);
        tx.basicAck(a.getEnvelope().getDeliveryTag(), false);

        tx.close();

        awaitCounts(1, 0);
    }

    @Test
    void anUnknownTagInATransactionFailsAtOnce() throws Exception {
        Channel tx = conn.createChannel();
        tx.txSelect();

        tx.basicAck(7, false);

        CloseReasons.awaitClosed(tx).isChannelError(406, "PRECONDITION_FAILED - unknown delivery tag 7");
    }

    @Test
    void commitWithoutSelectIs406() throws Exception {
        Channel ch = conn.createChannel();

        assertThatThrownBy(ch::txCommit)
                .satisfies(e -> CloseReasons.of(e)
                        .isChannelError(406, "PRECONDITION_FAILED - channel is not transactional")
                        .failedMethod(90, 20));
    }

    @Test
    void rollbackWithoutSelectIs406() throws Exception {
        Channel ch = conn.createChannel();

        assertThatThrownBy(ch::txRollback)
                .satisfies(e -> CloseReasons.of(e)
                        .isChannelError(406, "PRECONDITION_FAILED - channel is not transactional")
                        .failedMethod(90, 30));
    }

    @Test
    void selectingTwiceIsFine() throws Exception {
        Channel tx = conn.createChannel();
        tx.txSelect();
        tx.txSelect();
        tx.basicPublish("", q, null, bytes("x"));
        tx.txCommit();

        assertThat(messageCount()).isEqualTo(1);
    }
}
