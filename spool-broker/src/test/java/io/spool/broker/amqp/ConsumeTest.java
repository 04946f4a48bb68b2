package io.spool.broker.amqp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Command;
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
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** basic.consume, basic.cancel and basic.get: who gets which message, and the errors. */
class ConsumeTest {

    @RegisterExtension
    final TestBroker broker = new TestBroker();

    private Connection conn;
    private Channel pub;

    @BeforeEach
    void connect() throws Exception {
        conn = broker.connect();
        pub = conn.createChannel();
    }

    private String declareQueue(String name) throws Exception {
        return pub.queueDeclare(name, false, false, false, null).getQueue();
    }

    private void publish(String queue, String... bodies) throws Exception {
        for (String b : bodies) {
            pub.basicPublish("", queue, null, b.getBytes(StandardCharsets.UTF_8));
        }
    }

    private void publishNumbered(String queue, int n) throws Exception {
        for (int i = 0; i < n; i++) {
            publish(queue, "m" + i);
        }
    }

    private Queue.QueueStats stats(String queue) {
        return broker.broker().vhost().queue(queue).stats();
    }

    // ---- consume ----

    @Test
    void consumerReceivesWhatIsPublishedWithEnvelopeAndProperties() throws Exception {
        String q = declareQueue("orders");
        Channel ch = conn.createChannel();
        RecordingConsumer c = new RecordingConsumer(ch);
        String tag = ch.basicConsume(q, false, c);

        AMQP.BasicProperties props = new AMQP.BasicProperties.Builder()
                .contentType("text/plain").correlationId("c-1").headers(Map.of("attempt", 1)).build();
        pub.basicPublish("", q, props, "hello".getBytes(StandardCharsets.UTF_8));

        Received r = c.next();
        assertThat(r.text()).isEqualTo("hello");
        assertThat(r.consumerTag()).isEqualTo(tag);
        assertThat(r.deliveryTag()).isEqualTo(1);
        assertThat(r.redelivered()).isFalse();
        assertThat(r.exchange()).isEmpty();
        assertThat(r.routingKey()).isEqualTo(q);
        assertThat(r.properties().getContentType()).isEqualTo("text/plain");
        assertThat(r.properties().getCorrelationId()).isEqualTo("c-1");
        assertThat(r.properties().getHeaders()).containsEntry("attempt", 1);
    }

    @Test
    void messagesWaitingBeforeTheConsumerArrivesAreDeliveredInOrder() throws Exception {
        String q = declareQueue("backlog");
        publishNumbered(q, 10);
        await().atMost(Duration.ofSeconds(5)).until(() -> stats(q).ready() == 10);

        Channel ch = conn.createChannel();
        RecordingConsumer c = new RecordingConsumer(ch);
        ch.basicConsume(q, true, c);

        assertThat(c.next(10)).extracting(Received::text)
                .containsExactly("m0", "m1", "m2", "m3", "m4", "m5", "m6", "m7", "m8", "m9");
        assertThat(c.all()).extracting(Received::deliveryTag).containsExactly(1L, 2L, 3L, 4L, 5L, 6L, 7L, 8L, 9L, 10L);
    }

    @Test
    void serverGeneratesConsumerTagsWhenTheClientGivesNone() throws Exception {
        String q = declareQueue("tags");
        Channel ch = conn.createChannel();
        RecordingConsumer a = new RecordingConsumer(ch);
        RecordingConsumer b = new RecordingConsumer(ch);

        String tagA = ch.basicConsume(q, a);
        String tagB = ch.basicConsume(q, b);

        assertThat(tagA).startsWith("amq.ctag-").isEqualTo(a.awaitConsumeOk());
        assertThat(tagB).startsWith("amq.ctag-").isNotEqualTo(tagA);
    }

    @Test
    void clientChosenConsumerTagIsUsed() throws Exception {
        String q = declareQueue("mine");
        Channel ch = conn.createChannel();
        RecordingConsumer c = new RecordingConsumer(ch);

        assertThat(ch.basicConsume(q, true, "worker-1", c)).isEqualTo("worker-1");
        publish(q, "x");
        assertThat(c.next().consumerTag()).isEqualTo("worker-1");
    }

    @Test
    void reusingAConsumerTagOnTheSameChannelClosesTheConnection() throws Exception {
        String q = declareQueue("reuse");
        Channel ch = conn.createChannel();
        ch.basicConsume(q, true, "dup", new RecordingConsumer(ch));

        assertThatThrownBy(() -> ch.basicConsume(q, true, "dup", new RecordingConsumer(ch)))
                .satisfies(e -> CloseReasons.of(e)
                        .isConnectionError(530, "NOT_ALLOWED - attempt to reuse consumer tag 'dup'")
                        .failedMethod(60, 20));
        CloseReasons.awaitClosed(conn);
    }

    @Test
    void sameConsumerTagOnAnotherChannelIsFine() throws Exception {
        String q = declareQueue("per-channel-tags");
        Channel one = conn.createChannel();
        Channel two = conn.createChannel();
        one.basicConsume(q, true, "same", new RecordingConsumer(one));

        assertThat(two.basicConsume(q, true, "same", new RecordingConsumer(two))).isEqualTo("same");
        assertThat(stats(q).consumers()).isEqualTo(2);
    }

    @Test
    void consumingFromAMissingQueueIs404() throws Exception {
        Channel ch = conn.createChannel();

        assertThatThrownBy(() -> ch.basicConsume("nope", true, new RecordingConsumer(ch)))
                .satisfies(e -> CloseReasons.of(e).isChannelError(404, "NOT_FOUND - no queue 'nope' in vhost '/'"));
    }

    @Test
    void noAckConsumerLeavesNothingUnacknowledged() throws Exception {
        String q = declareQueue("fire-and-forget");
        Channel ch = conn.createChannel();
        RecordingConsumer c = new RecordingConsumer(ch);
        ch.basicConsume(q, true, c);

        publishNumbered(q, 5);

        assertThat(c.next(5)).extracting(Received::text).containsExactly("m0", "m1", "m2", "m3", "m4");
        await().atMost(Duration.ofSeconds(5)).untilAsserted(() ->
                assertThat(stats(q)).extracting(Queue.QueueStats::ready, Queue.QueueStats::unacked)
                        .containsExactly(0, 0));
        // Acking an auto-ack delivery is an error: the tag was never awaiting an ack.
        ch.basicAck(1, false);
        CloseReasons.awaitClosed(ch).isChannelError(406, "PRECONDITION_FAILED - unknown delivery tag 1");
    }

    // ---- exclusive consumers ----

    @Test
    void exclusiveConsumeIsRefusedWhileOthersConsume() throws Exception {
        String q = declareQueue("shared");
        Channel other = conn.createChannel();
        other.basicConsume(q, true, new RecordingConsumer(other));
        Channel ch = conn.createChannel();

        assertThatThrownBy(() -> ch.basicConsume(q, true, "", false, true, null, new RecordingConsumer(ch)))
                .satisfies(e -> CloseReasons.of(e)
                        .isChannelError(403, "ACCESS_REFUSED - queue 'shared' in vhost '/' in exclusive use"));
    }

    @Test
    void othersAreRefusedWhileAnExclusiveConsumerConsumes() throws Exception {
        String q = declareQueue("mine-alone");
        Channel owner = conn.createChannel();
        RecordingConsumer exclusive = new RecordingConsumer(owner);
        owner.basicConsume(q, true, "", false, true, null, exclusive);

        Connection otherConn = broker.connect();
        Channel other = otherConn.createChannel();
        assertThatThrownBy(() -> other.basicConsume(q, true, new RecordingConsumer(other)))
                .satisfies(e -> CloseReasons.of(e)
                        .isChannelError(403, "ACCESS_REFUSED - queue 'mine-alone' in vhost '/' in exclusive use"));

        // The exclusive consumer keeps working; once it is cancelled, others may consume.
        publish(q, "only for the exclusive one");
        assertThat(exclusive.next().text()).isEqualTo("only for the exclusive one");
        owner.basicCancel(exclusive.getConsumerTag());
        Channel later = otherConn.createChannel();
        RecordingConsumer next = new RecordingConsumer(later);
        later.basicConsume(q, true, next);
        publish(q, "for the next one");
        assertThat(next.next().text()).isEqualTo("for the next one");
    }

    // ---- cancel ----

    @Test
    void cancelStopsDeliveriesAndIsConfirmed() throws Exception {
        String q = declareQueue("cancel-me");
        Channel ch = conn.createChannel();
        RecordingConsumer c = new RecordingConsumer(ch);
        String tag = ch.basicConsume(q, true, c);
        publish(q, "before");
        assertThat(c.next().text()).isEqualTo("before");

        ch.basicCancel(tag);

        assertThat(c.awaitCancelOk()).isEqualTo(tag);
        assertThat(stats(q).consumers()).isZero();
        publish(q, "after");
        await().atMost(Duration.ofSeconds(5)).until(() -> stats(q).ready() == 1);
        assertThat(c.count()).isEqualTo(1);
        assertThat(ch.isOpen()).isTrue();
    }

    @Test
    void cancelWithAnUnknownTagIsAnsweredWithCancelOk() throws Exception {
        Channel ch = conn.createChannel();

        // The Java client refuses unknown tags itself, so send the method as it is.
        Command reply = ch.rpc(new AMQP.Basic.Cancel.Builder().consumerTag("never-was").build());

        assertThat(reply.getMethod()).isInstanceOf(AMQP.Basic.CancelOk.class);
        assertThat(((AMQP.Basic.CancelOk) reply.getMethod()).getConsumerTag()).isEqualTo("never-was");
        assertThat(ch.isOpen()).isTrue();
    }

    @Test
    void deletingAConsumedQueueCancelsItsConsumers() throws Exception {
        String q = declareQueue("doomed");
        Channel ch = conn.createChannel();
        RecordingConsumer c = new RecordingConsumer(ch);
        String tag = ch.basicConsume(q, false, c);

        publish(q, "held");
        Received held = c.next();

        Connection admin = broker.connect();
        admin.createChannel().queueDelete(q);

        assertThat(c.awaitCancelledByBroker()).isEqualTo(tag);
        assertThat(ch.isOpen()).isTrue();
        assertThat(conn.isOpen()).isTrue();
        // The delivery it held can still be acked, and the channel is still usable.
        ch.basicAck(held.deliveryTag(), false);
        assertThat(ch.queueDeclare().getQueue()).startsWith("amq.gen-");
        assertThat(ch.isOpen()).isTrue();
    }

    // ---- get ----

    @Test
    void getReturnsMessagesWithTheCountLeftThenGetEmpty() throws Exception {
        String q = declareQueue("pull");
        publish(q, "a", "b", "c");
        await().atMost(Duration.ofSeconds(5)).until(() -> stats(q).ready() == 3);
        Channel ch = conn.createChannel();

        GetResponse first = ch.basicGet(q, false);
        assertThat(new String(first.getBody(), StandardCharsets.UTF_8)).isEqualTo("a");
        assertThat(first.getMessageCount()).isEqualTo(2);
        assertThat(first.getEnvelope().getDeliveryTag()).isEqualTo(1);
        assertThat(first.getEnvelope().isRedeliver()).isFalse();
        assertThat(first.getEnvelope().getRoutingKey()).isEqualTo(q);

        GetResponse second = ch.basicGet(q, true);
        assertThat(new String(second.getBody(), StandardCharsets.UTF_8)).isEqualTo("b");
        assertThat(second.getMessageCount()).isEqualTo(1);

        GetResponse third = ch.basicGet(q, false);
        assertThat(new String(third.getBody(), StandardCharsets.UTF_8)).isEqualTo("c");
        assertThat(third.getMessageCount()).isZero();

        assertThat(ch.basicGet(q, false)).as("get-empty").isNull();
        assertThat(stats(q)).extracting(Queue.QueueStats::ready, Queue.QueueStats::unacked).containsExactly(0, 2);

        ch.basicAck(third.getEnvelope().getDeliveryTag(), true);
        await().atMost(Duration.ofSeconds(5)).until(() -> stats(q).unacked() == 0);
    }

    @Test
    void getFromAMissingQueueIs404() throws Exception {
        Channel ch = conn.createChannel();

        assertThatThrownBy(() -> ch.basicGet("nope", true))
                .satisfies(e -> CloseReasons.of(e).isChannelError(404, "NOT_FOUND - no queue 'nope' in vhost '/'"));
    }

    // ---- round robin and priorities ----

    @Test
    void consumersOfOneQueueShareItEvenly() throws Exception {
        String q = declareQueue("work");
        List<RecordingConsumer> consumers = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            Channel ch = conn.createChannel();
            RecordingConsumer c = new RecordingConsumer(ch, true);
            ch.basicConsume(q, false, c);
            consumers.add(c);
        }

        publishNumbered(q, 30);

        await().atMost(Duration.ofSeconds(10)).until(() ->
                consumers.stream().mapToInt(RecordingConsumer::count).sum() == 30);
        for (RecordingConsumer c : consumers) {
            assertThat(c.count()).isEqualTo(10);
        }
        List<String> all = new ArrayList<>();
        consumers.forEach(c -> all.addAll(c.texts()));
        assertThat(all).doesNotHaveDuplicates().hasSize(30);
    }

    @Test
    void twoConsumersAlternate() throws Exception {
        String q = declareQueue("ping-pong");
        Channel ch1 = conn.createChannel();
        Channel ch2 = conn.createChannel();
        RecordingConsumer first = new RecordingConsumer(ch1, true);
        RecordingConsumer second = new RecordingConsumer(ch2, true);
        ch1.basicConsume(q, false, first);
        ch2.basicConsume(q, false, second);

        publishNumbered(q, 6);

        assertThat(first.next(3)).extracting(Received::text).containsExactly("m0", "m2", "m4");
        assertThat(second.next(3)).extracting(Received::text).containsExactly("m1", "m3", "m5");
    }

    @Test
    void higherPriorityConsumerGetsEverythingWhileItHasCredit() throws Exception {
        String q = declareQueue("prioritised");
        Channel highCh = conn.createChannel();
        highCh.basicQos(2);
        RecordingConsumer high = new RecordingConsumer(highCh);
        highCh.basicConsume(q, false, "high", false, false, Map.of("x-priority", 10), high);
        Channel lowCh = conn.createChannel();
        RecordingConsumer low = new RecordingConsumer(lowCh);
        lowCh.basicConsume(q, false, "low", false, false, Map.of("x-priority", -5), low);

        // High has room for two: it takes both, low gets nothing.
        publish(q, "a", "b");
        assertThat(high.next(2)).extracting(Received::text).containsExactly("a", "b");
        assertThat(stats(q).delivered()).isEqualTo(2);
        assertThat(low.count()).isZero();

        // High is blocked by its prefetch: low takes the rest.
        publish(q, "c", "d", "e");
        assertThat(low.next(3)).extracting(Received::text).containsExactly("c", "d", "e");
        assertThat(high.count()).isEqualTo(2);

        // High has credit again: it is first in line again.
        highCh.basicAck(high.all().get(1).deliveryTag(), true);
        await().atMost(Duration.ofSeconds(5)).until(() -> stats(q).unacked() == 3);
        publish(q, "f");
        assertThat(high.next().text()).isEqualTo("f");
        assertThat(stats(q).delivered()).isEqualTo(6);
        assertThat(low.count()).isEqualTo(3);
    }

    @Test
    void consumersOfEqualPriorityShareRoundRobin() throws Exception {
        String q = declareQueue("equal-priority");
        List<RecordingConsumer> consumers = new ArrayList<>();
        for (int i = 0; i < 2; i++) {
            Channel ch = conn.createChannel();
            RecordingConsumer c = new RecordingConsumer(ch, true);
            ch.basicConsume(q, false, "", false, false, Map.of("x-priority", 3L), c);
            consumers.add(c);
        }
        Channel lowCh = conn.createChannel();
        RecordingConsumer low = new RecordingConsumer(lowCh, true);
        lowCh.basicConsume(q, false, low);

        publishNumbered(q, 10);

        await().atMost(Duration.ofSeconds(5)).until(() -> consumers.get(0).count() + consumers.get(1).count() == 10);
        assertThat(consumers.get(0).count()).isEqualTo(5);
        assertThat(consumers.get(1).count()).isEqualTo(5);
        assertThat(low.count()).isZero();
    }

    @Test
    void nonIntegerPriorityIs406() throws Exception {
        String q = declareQueue("bad-priority");
        Channel ch = conn.createChannel();

        assertThatThrownBy(() -> ch.basicConsume(q, false, "", false, false, Map.of("x-priority", "high"),
                new RecordingConsumer(ch)))
                .satisfies(e -> CloseReasons.of(e).isChannelError(406, "PRECONDITION_FAILED - invalid arg "
                        + "'x-priority' for queue 'bad-priority' in vhost '/': \"expected integer, got longstr\""));
    }
}
