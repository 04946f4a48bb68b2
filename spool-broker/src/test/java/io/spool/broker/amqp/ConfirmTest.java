package io.spool.broker.amqp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.rabbitmq.client.Channel;
import com.rabbitmq.client.ConfirmListener;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import io.spool.broker.testing.CloseReasons;
import io.spool.broker.testing.GatedSocketFactory;
import io.spool.broker.testing.TestBroker;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Publisher confirms: confirm.select, basic.ack from the broker, and how they mix with returns and tx. */
class ConfirmTest {

    @RegisterExtension
    final TestBroker broker = new TestBroker();

    private Connection conn;
    private String q;

    @BeforeEach
    void setUp() throws Exception {
        conn = broker.connect();
        q = conn.createChannel().queueDeclare("confirmed", false, false, false, null).getQueue();
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    /** Records broker acks and nacks in arrival order. */
    private static final class Confirms implements ConfirmListener {
        record Confirm(boolean ack, long tag, boolean multiple) {}

        final List<Confirm> seen = new CopyOnWriteArrayList<>();
        final List<String> events;

        Confirms(List<String> events) {
            this.events = events;
        }

        @Override
        public void handleAck(long deliveryTag, boolean multiple) {
            seen.add(new Confirm(true, deliveryTag, multiple));
            events.add("ack " + deliveryTag);
        }

        @Override
        public void handleNack(long deliveryTag, boolean multiple) {
            seen.add(new Confirm(false, deliveryTag, multiple));
            events.add("nack " + deliveryTag);
        }

        long highestAcked() {
            return seen.stream().filter(Confirm::ack).mapToLong(Confirm::tag).max().orElse(0);
        }
    }

    @Test
    void everyPublishIsConfirmed() throws Exception {
        Channel ch = conn.createChannel();
        ch.confirmSelect();
        assertThat(ch.getNextPublishSeqNo()).isEqualTo(1);

        for (int i = 0; i < 200; i++) {
            ch.basicPublish("", q, null, bytes("m" + i));
        }

        ch.waitForConfirmsOrDie(10_000);
        assertThat(ch.queueDeclarePassive(q).getMessageCount()).isEqualTo(200);
    }

    @Test
    void confirmListenerSeesEachSequenceNumberAcked() throws Exception {
        Channel ch = conn.createChannel();
        ch.confirmSelect();
        Confirms confirms = new Confirms(new CopyOnWriteArrayList<>());
        ch.addConfirmListener(confirms);

        for (int i = 1; i <= 5; i++) {
            ch.basicPublish("", q, null, bytes("m" + i));
            long tag = i;
            await().atMost(Duration.ofSeconds(5)).until(() -> confirms.highestAcked() == tag);
        }

        // One at a time, each is acked on its own.
        assertThat(confirms.seen).containsExactly(
                new Confirms.Confirm(true, 1, false), new Confirms.Confirm(true, 2, false),
                new Confirms.Confirm(true, 3, false), new Confirms.Confirm(true, 4, false),
                new Confirms.Confirm(true, 5, false));
    }

    @Test
    void aBatchReadTogetherIsConfirmedWithMultipleAcks() throws Exception {
        GatedSocketFactory sockets = new GatedSocketFactory();
        ConnectionFactory f = broker.factory();
        f.setSocketFactory(sockets);
        Connection gated = broker.track(f.newConnection());
        Channel ch = gated.createChannel();
        ch.confirmSelect();
        Confirms confirms = new Confirms(new CopyOnWriteArrayList<>());
        ch.addConfirmListener(confirms);

        // Fifty publishes reach the broker in one write, so it reads them as one batch.
        sockets.last().hold();
        for (int i = 0; i < 50; i++) {
            ch.basicPublish("", q, null, bytes("m" + i));
        }
        sockets.last().release();

        ch.waitForConfirmsOrDie(10_000);
        assertThat(confirms.seen).allMatch(Confirms.Confirm::ack);
        assertThat(confirms.seen).anyMatch(Confirms.Confirm::multiple);
        assertThat(confirms.seen.size()).isLessThan(50);
        assertThat(confirms.seen).extracting(Confirms.Confirm::tag).isSorted().doesNotHaveDuplicates();
        assertThat(confirms.highestAcked()).isEqualTo(50);
    }

    @Test
    void unroutableMandatoryMessageIsReturnedBeforeItIsAcked() throws Exception {
        Channel ch = conn.createChannel();
        ch.confirmSelect();
        List<String> events = new CopyOnWriteArrayList<>();
        Confirms confirms = new Confirms(events);
        ch.addConfirmListener(confirms);
        ch.addReturnListener(r -> events.add("return " + r.getReplyCode() + " " + r.getReplyText() + " "
                + r.getExchange() + "/" + r.getRoutingKey() + " " + new String(r.getBody(), StandardCharsets.UTF_8)));

        ch.basicPublish("amq.direct", "nowhere", true, null, bytes("lost?"));
        ch.waitForConfirmsOrDie(5_000);

        assertThat(events).containsExactly("return 312 NO_ROUTE amq.direct/nowhere lost?", "ack 1");
    }

    @Test
    void unroutableMessageWithoutMandatoryIsSimplyAcked() throws Exception {
        Channel ch = conn.createChannel();
        ch.confirmSelect();
        List<String> events = new CopyOnWriteArrayList<>();
        ch.addConfirmListener(new Confirms(events));
        ch.addReturnListener(r -> events.add("return"));

        ch.basicPublish("amq.direct", "nowhere", false, null, bytes("dropped"));
        ch.waitForConfirmsOrDie(5_000);

        assertThat(events).containsExactly("ack 1");
    }

    @Test
    void selectingConfirmsTwiceIsFine() throws Exception {
        Channel ch = conn.createChannel();
        ch.confirmSelect();
        ch.confirmSelect();
        ch.basicPublish("", q, null, bytes("x"));

        ch.waitForConfirmsOrDie(5_000);
        assertThat(ch.isOpen()).isTrue();
    }

    @Test
    void confirmSelectOnATransactionalChannelIs406() throws Exception {
        Channel ch = conn.createChannel();
        ch.txSelect();

        assertThatThrownBy(ch::confirmSelect)
                .satisfies(e -> CloseReasons.of(e)
                        .isChannelError(406, "PRECONDITION_FAILED - cannot switch from tx to confirm mode")
                        .failedMethod(85, 10));
        assertThat(conn.isOpen()).isTrue();
    }

    @Test
    void txSelectOnAConfirmChannelIs406() throws Exception {
        Channel ch = conn.createChannel();
        ch.confirmSelect();

        assertThatThrownBy(ch::txSelect)
                .satisfies(e -> CloseReasons.of(e)
                        .isChannelError(406, "PRECONDITION_FAILED - cannot switch from confirm to tx mode")
                        .failedMethod(90, 10));
        assertThat(conn.isOpen()).isTrue();
    }

    @Test
    void aPublishThatFailsClosesTheChannelAndWaitForConfirmsOrDieReportsIt() throws Exception {
        Channel ch = conn.createChannel();
        ch.confirmSelect();

        ch.basicPublish("no-such-exchange", "k", null, bytes("x"));

        assertThatThrownBy(() -> ch.waitForConfirmsOrDie(5_000))
                .satisfies(e -> CloseReasons.of(e)
                        .isChannelError(404, "NOT_FOUND - no exchange 'no-such-exchange' in vhost '/'"));
    }
}
