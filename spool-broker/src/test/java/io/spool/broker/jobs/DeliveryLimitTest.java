package io.spool.broker.jobs;

import static io.spool.broker.jobs.Jobs.args;
import static io.spool.broker.jobs.Jobs.awaitGet;
import static io.spool.broker.jobs.Jobs.bytes;
import static io.spool.broker.jobs.Jobs.deadLetterQueue;
import static io.spool.broker.jobs.Jobs.deathSummary;
import static io.spool.broker.jobs.Jobs.get;
import static io.spool.broker.jobs.Jobs.header;
import static io.spool.broker.jobs.Jobs.persistent;
import static io.spool.broker.jobs.Jobs.props;
import static io.spool.broker.jobs.Jobs.ready;
import static io.spool.broker.jobs.Jobs.stat;
import static io.spool.broker.jobs.Jobs.sync;
import static io.spool.broker.jobs.Jobs.text;
import static io.spool.broker.jobs.Jobs.throughout;
import static io.spool.broker.jobs.Jobs.xDeath;
import static org.assertj.core.api.Assertions.assertThat;

import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.GetResponse;
import io.spool.broker.testing.RecordingConsumer;
import io.spool.broker.testing.TestBroker;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Poison messages: {@code x-delivery-limit} with RabbitMQ's quorum-queue semantics (3.13 to
 * 4.2). A message that comes back to its queue (nack or reject with requeue, its channel or
 * connection closed) counts one failed delivery; every redelivery carries that count in
 * {@code x-delivery-count} (a long; the first delivery has no such header). A message returned
 * more times than the limit is dead-lettered with reason {@code delivery_limit}, or dropped
 * when the queue has no dead-letter exchange. The count survives a restart, as a quorum queue's
 * does.
 */
class DeliveryLimitTest {

    @RegisterExtension
    final TestBroker broker = new TestBroker();

    private Connection conn;
    private Channel ch;

    @BeforeEach
    void connect() throws Exception {
        conn = broker.connect();
        ch = conn.createChannel();
    }

    /** Takes the next message and nacks it back to the queue. */
    private GetResponse getAndRequeue(String queue) throws Exception {
        GetResponse r = get(ch, queue);
        ch.basicNack(r.getEnvelope().getDeliveryTag(), false, true);
        sync(ch);
        return r;
    }

    @Test
    void everyRedeliveryCarriesTheCountOfFailedDeliveries() throws Exception {
        ch.queueDeclare("work", false, false, false, args("x-delivery-limit", 10));
        ch.basicPublish("", "work", props().headers(Map.of("job", "resize")).build(), bytes("job"));

        GetResponse first = get(ch, "work");
        assertThat(first.getEnvelope().isRedeliver()).isFalse();
        assertThat(header(first.getProps(), "x-delivery-count")).isNull();
        ch.basicNack(first.getEnvelope().getDeliveryTag(), false, true);

        GetResponse second = get(ch, "work");
        assertThat(second.getEnvelope().isRedeliver()).isTrue();
        assertThat(header(second.getProps(), "x-delivery-count")).isEqualTo(1L);
        assertThat(header(second.getProps(), "job")).isEqualTo("resize");
        ch.basicReject(second.getEnvelope().getDeliveryTag(), true);

        GetResponse third = get(ch, "work");
        assertThat(header(third.getProps(), "x-delivery-count")).isEqualTo(2L);

        // A consumer whose channel closes without acking fails a delivery too.
        Channel worker = conn.createChannel();
        ch.basicNack(third.getEnvelope().getDeliveryTag(), false, true);
        RecordingConsumer crashing = new RecordingConsumer(worker);
        worker.basicConsume("work", false, crashing);
        assertThat(header(crashing.next().properties(), "x-delivery-count")).isEqualTo(3L);
        worker.close();

        GetResponse fifth = get(ch, "work");
        assertThat(header(fifth.getProps(), "x-delivery-count")).isEqualTo(4L);
        assertThat(text(fifth.getBody())).isEqualTo("job");
        ch.basicAck(fifth.getEnvelope().getDeliveryTag(), false);
        sync(ch);
        assertThat(ready(broker, "work")).isZero();
    }

    @Test
    void theCountIsPerMessage() throws Exception {
        ch.queueDeclare("work", false, false, false, args("x-delivery-limit", 10));
        ch.basicPublish("", "work", null, bytes("failing"));
        ch.basicPublish("", "work", null, bytes("fine"));
        getAndRequeue("work");
        getAndRequeue("work");

        GetResponse failing = get(ch, "work");
        assertThat(text(failing.getBody())).isEqualTo("failing");
        assertThat(header(failing.getProps(), "x-delivery-count")).isEqualTo(2L);
        ch.basicAck(failing.getEnvelope().getDeliveryTag(), false);
        GetResponse fine = get(ch, "work");
        assertThat(header(fine.getProps(), "x-delivery-count")).isNull();
        assertThat(fine.getEnvelope().isRedeliver()).isFalse();
    }

    @Test
    void aMultipleNackCountsOneFailureForEachMessage() throws Exception {
        ch.queueDeclare("work", false, false, false, args("x-delivery-limit", 10));
        for (int i = 0; i < 3; i++) {
            ch.basicPublish("", "work", null, bytes("m" + i));
        }
        get(ch, "work");
        get(ch, "work");
        GetResponse last = get(ch, "work");
        ch.basicNack(last.getEnvelope().getDeliveryTag(), true, true);

        for (int i = 0; i < 3; i++) {
            GetResponse r = get(ch, "work");
            assertThat(text(r.getBody())).isEqualTo("m" + i);
            assertThat(header(r.getProps(), "x-delivery-count")).isEqualTo(1L);
        }
    }

    @Test
    void pastTheLimitTheMessageIsDeadLetteredWithReasonDeliveryLimit() throws Exception {
        deadLetterQueue(ch);
        ch.queueDeclare("work", false, false, false, args("x-delivery-limit", 2, "x-dead-letter-exchange", "dlx"));
        ch.basicPublish("", "work", props().contentType("text/plain").headers(Map.of("job", "pdf")).build(),
                bytes("poison"));

        // Delivered three times: the first delivery and two redeliveries; the third failure is one too many.
        assertThat(header(getAndRequeue("work").getProps(), "x-delivery-count")).isNull();
        assertThat(header(getAndRequeue("work").getProps(), "x-delivery-count")).isEqualTo(1L);
        assertThat(header(getAndRequeue("work").getProps(), "x-delivery-count")).isEqualTo(2L);

        GetResponse dead = awaitGet(ch, "dlq");
        assertThat(text(dead.getBody())).isEqualTo("poison");
        assertThat(dead.getProps().getContentType()).isEqualTo("text/plain");
        assertThat(header(dead.getProps(), "job")).isEqualTo("pdf");
        List<Map<String, Object>> deaths = xDeath(dead.getProps());
        assertThat(deaths).hasSize(1);
        assertThat(deaths.get(0)).containsEntry("reason", "delivery_limit").containsEntry("queue", "work")
                .containsEntry("count", 1L).containsEntry("exchange", "")
                .containsEntry("routing-keys", List.of("work"));
        assertThat(header(dead.getProps(), "x-first-death-reason")).isEqualTo("delivery_limit");
        assertThat(header(dead.getProps(), "x-last-death-reason")).isEqualTo("delivery_limit");
        // The count belonged to "work": in the dead-letter queue the message starts afresh.
        assertThat(header(dead.getProps(), "x-delivery-count")).isNull();

        assertThat(ready(broker, "work")).isZero();
        assertThat(ch.basicGet("work", true)).isNull();
        assertThat(stat(broker, "work", "dead_lettered")).isEqualTo(1);
    }

    @Test
    void pastTheLimitWithoutDeadLetterExchangeTheMessageIsDropped() throws Exception {
        ch.queueDeclare("work", false, false, false, args("x-delivery-limit", 1));
        ch.basicPublish("", "work", null, bytes("poison"));
        ch.basicPublish("", "work", null, bytes("healthy"));

        getAndRequeue("work");
        GetResponse again = getAndRequeue("work");
        assertThat(text(again.getBody())).isEqualTo("poison");

        assertThat(ready(broker, "work")).isEqualTo(1);
        GetResponse next = get(ch, "work");
        assertThat(text(next.getBody())).isEqualTo("healthy");
        ch.basicAck(next.getEnvelope().getDeliveryTag(), false);
        assertThat(ch.basicGet("work", true)).isNull();
        assertThat(stat(broker, "work", "dropped")).isEqualTo(1);
        assertThat(stat(broker, "work", "dead_lettered")).isZero();
    }

    @Test
    void aLimitOfZeroDeadLettersAtTheFirstFailure() throws Exception {
        deadLetterQueue(ch);
        ch.queueDeclare("work", false, false, false, args("x-delivery-limit", 0, "x-dead-letter-exchange", "dlx"));
        ch.basicPublish("", "work", null, bytes("once"));
        getAndRequeue("work");

        assertThat(deathSummary(awaitGet(ch, "dlq").getProps())).containsExactly("work/delivery_limit/1");
        assertThat(ready(broker, "work")).isZero();
    }

    @Test
    void minusOneMeansNoLimitAsInRabbitMq4() throws Exception {
        deadLetterQueue(ch);
        ch.queueDeclare("work", false, false, false, args("x-delivery-limit", -1, "x-dead-letter-exchange", "dlx"));
        ch.basicPublish("", "work", null, bytes("retried forever"));
        for (int i = 0; i < 5; i++) {
            getAndRequeue("work");
        }

        GetResponse r = get(ch, "work");
        assertThat(header(r.getProps(), "x-delivery-count")).isEqualTo(5L);
        assertThat(ready(broker, "dlq")).isZero();
    }

    @Test
    void consumersThatCrashAreCountedUntilThePoisonMessageIsDeadLettered() throws Exception {
        deadLetterQueue(ch);
        ch.queueDeclare("work", false, false, false, args("x-delivery-limit", 2, "x-dead-letter-exchange", "dlx"));
        ch.basicPublish("", "work", null, bytes("poison"));

        // A worker takes it and dies without acking, three times.
        for (long expected = 0; expected <= 2; expected++) {
            Connection workerConn = broker.connect();
            Channel worker = workerConn.createChannel();
            RecordingConsumer consumer = new RecordingConsumer(worker);
            worker.basicConsume("work", false, consumer);
            RecordingConsumer.Received r = consumer.next();
            assertThat(header(r.properties(), "x-delivery-count")).isEqualTo(expected == 0 ? null : expected);
            workerConn.abort();
        }

        GetResponse dead = awaitGet(ch, "dlq");
        assertThat(text(dead.getBody())).isEqualTo("poison");
        assertThat(deathSummary(dead.getProps())).containsExactly("work/delivery_limit/1");
        assertThat(ready(broker, "work")).isZero();
    }

    @Test
    void anAckedOrDiscardedMessageIsNotCounted() throws Exception {
        deadLetterQueue(ch);
        ch.queueDeclare("work", false, false, false, args("x-delivery-limit", 0, "x-dead-letter-exchange", "dlx"));
        ch.basicPublish("", "work", null, bytes("acked"));
        ch.basicPublish("", "work", null, bytes("rejected"));
        ch.basicAck(get(ch, "work").getEnvelope().getDeliveryTag(), false);
        ch.basicReject(get(ch, "work").getEnvelope().getDeliveryTag(), false);

        // A reject without requeue dead-letters as "rejected", not as a delivery failure.
        GetResponse dead = awaitGet(ch, "dlq");
        assertThat(text(dead.getBody())).isEqualTo("rejected");
        assertThat(deathSummary(dead.getProps())).containsExactly("work/rejected/1");
        throughout(200).until(() -> ready(broker, "dlq") == 0 && ready(broker, "work") == 0);
    }

    @Test
    void theCountSurvivesARestart() throws Exception {
        ch.exchangeDeclare("dlx", "fanout", true);
        ch.queueDeclare("durable-dlq", true, false, false, null);
        ch.queueBind("durable-dlq", "dlx", "");
        ch.queueDeclare("work", true, false, false, args("x-delivery-limit", 3, "x-dead-letter-exchange", "dlx"));
        ch.basicPublish("", "work", persistent(), bytes("poison"));
        ch.basicPublish("", "work", persistent(), bytes("healthy"));
        getAndRequeue("work");
        getAndRequeue("work");

        broker.restart();
        conn = broker.connect();
        ch = conn.createChannel();

        GetResponse third = get(ch, "work");
        assertThat(text(third.getBody())).isEqualTo("poison");
        assertThat(third.getEnvelope().isRedeliver()).isTrue();
        assertThat(header(third.getProps(), "x-delivery-count")).isEqualTo(2L);
        ch.basicNack(third.getEnvelope().getDeliveryTag(), false, true);
        GetResponse fourth = get(ch, "work");
        assertThat(header(fourth.getProps(), "x-delivery-count")).isEqualTo(3L);
        ch.basicNack(fourth.getEnvelope().getDeliveryTag(), false, true);

        // The fourth failure is one past the limit of 3.
        GetResponse dead = awaitGet(ch, "durable-dlq");
        assertThat(deathSummary(dead.getProps())).containsExactly("work/delivery_limit/1");
        GetResponse healthy = get(ch, "work");
        assertThat(text(healthy.getBody())).isEqualTo("healthy");
        assertThat(header(healthy.getProps(), "x-delivery-count")).isNull();
    }
}
