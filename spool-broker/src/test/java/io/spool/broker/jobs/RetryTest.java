package io.spool.broker.jobs;

import static io.spool.broker.jobs.Jobs.args;
import static io.spool.broker.jobs.Jobs.awaitGet;
import static io.spool.broker.jobs.Jobs.bytes;
import static io.spool.broker.jobs.Jobs.deadLetterQueue;
import static io.spool.broker.jobs.Jobs.deathSummary;
import static io.spool.broker.jobs.Jobs.eventually;
import static io.spool.broker.jobs.Jobs.header;
import static io.spool.broker.jobs.Jobs.managementQueue;
import static io.spool.broker.jobs.Jobs.persistent;
import static io.spool.broker.jobs.Jobs.ready;
import static io.spool.broker.jobs.Jobs.stat;
import static io.spool.broker.jobs.Jobs.text;
import static io.spool.broker.jobs.Jobs.throughout;
import static io.spool.broker.jobs.Jobs.xDeath;
import static org.assertj.core.api.Assertions.assertThat;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.DefaultConsumer;
import com.rabbitmq.client.Envelope;
import com.rabbitmq.client.GetResponse;
import io.spool.broker.testing.CloseReasons;
import io.spool.broker.testing.TestBroker;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Broker-side retries with backoff, with LavinMQ's argument names: on a queue with
 * {@code x-retry-max-count}, a message rejected or nacked without requeue comes back to the
 * same queue after {@code x-retry-delay * x-retry-delay-multiplier^(n-1)} ms (at most
 * {@code x-retry-max-delay}), flagged redelivered with {@code x-delivery-count} n, until the
 * count is spent; then it is dead-lettered with x-death, or dropped without a DLX.
 */
class RetryTest {

    /** Lateness tolerated on a shared machine; the delay itself is never cut short. */
    private static final long SLACK_MILLIS = 500;

    @RegisterExtension
    final TestBroker broker = new TestBroker();

    private Connection conn;
    private Channel ch;

    @BeforeEach
    void connect() throws Exception {
        conn = broker.connect();
        ch = conn.createChannel();
    }

    /** One delivery: when it arrived, and when the consumer rejected it. */
    private record Attempt(long arrivedAt, long rejectedAt, Envelope envelope, AMQP.BasicProperties props, String body) {}

    /** A consumer that rejects (requeue=false) everything it gets, noting when. */
    private static final class Rejecter extends DefaultConsumer {
        final List<Attempt> attempts = new CopyOnWriteArrayList<>();

        Rejecter(Channel ch) {
            super(ch);
        }

        @Override
        public void handleDelivery(String tag, Envelope envelope, AMQP.BasicProperties props, byte[] body)
                throws java.io.IOException {
            long arrived = System.currentTimeMillis();
            getChannel().basicReject(envelope.getDeliveryTag(), false);
            attempts.add(new Attempt(arrived, System.currentTimeMillis(), envelope, props, text(body)));
        }
    }

    private Rejecter rejectEverything(String queue) throws Exception {
        Channel c = conn.createChannel();
        Rejecter r = new Rejecter(c);
        c.basicConsume(queue, false, r);
        return r;
    }

    /** Milliseconds between each rejection and the next arrival. */
    private static List<Long> gaps(List<Attempt> attempts) {
        List<Long> gaps = new ArrayList<>();
        for (int i = 1; i < attempts.size(); i++) {
            gaps.add(attempts.get(i).arrivedAt() - attempts.get(i - 1).rejectedAt());
        }
        return gaps;
    }

    private static void assertGaps(List<Attempt> attempts, long... expected) {
        List<Long> gaps = gaps(attempts);
        assertThat(gaps).hasSize(expected.length);
        for (int i = 0; i < expected.length; i++) {
            assertThat(gaps.get(i)).as("wait before retry %d (all: %s)", i + 1, gaps)
                    .isBetween(expected[i], expected[i] + SLACK_MILLIS);
        }
    }

    @Test
    void aRejectedMessageComesBackAfterGrowingDelaysWithItsCountThenIsDeadLettered() throws Exception {
        deadLetterQueue(ch);
        ch.queueDeclare("work", false, false, false, args("x-retry-max-count", 3, "x-retry-delay", 200,
                "x-retry-delay-multiplier", 2, "x-dead-letter-exchange", "dlx"));
        ch.basicPublish("", "work", new AMQP.BasicProperties.Builder().messageId("job-7")
                .headers(Map.of("tenant", "acme")).build(), bytes("resize 7"));

        Rejecter worker = rejectEverything("work");
        GetResponse dead = awaitGet(ch, "dlq");

        List<Attempt> attempts = worker.attempts;
        assertThat(attempts).hasSize(4);
        assertGaps(attempts, 200, 400, 800);
        assertThat(attempts).extracting(a -> header(a.props(), "x-delivery-count"))
                .containsExactly(null, 1L, 2L, 3L);
        assertThat(attempts).extracting(a -> a.envelope().isRedeliver()).containsExactly(false, true, true, true);
        assertThat(attempts).allSatisfy(a -> {
            assertThat(a.body()).isEqualTo("resize 7");
            assertThat(a.props().getMessageId()).isEqualTo("job-7");
            assertThat(header(a.props(), "tenant")).isEqualTo("acme");
            assertThat(a.envelope().getRoutingKey()).isEqualTo("work");
        });

        // Spent: dead-lettered as a rejected message, as RabbitMQ writes it.
        assertThat(text(dead.getBody())).isEqualTo("resize 7");
        assertThat(deathSummary(dead.getProps())).containsExactly("work/rejected/1");
        assertThat(xDeath(dead.getProps()).get(0).get("routing-keys")).isEqualTo(List.of("work"));
        assertThat(header(dead.getProps(), "x-first-death-reason")).isEqualTo("rejected");
        assertThat(header(dead.getProps(), "x-delivery-count")).isNull();
        assertThat(header(dead.getProps(), "tenant")).isEqualTo("acme");
        throughout(300).until(() -> worker.attempts.size() == 4 && ready(broker, "dlq") == 0);
        assertThat(stat(broker, "work", "retried")).isEqualTo(3);
        assertThat(stat(broker, "work", "dead_lettered")).isEqualTo(1);
    }

    @Test
    void theDelayStopsGrowingAtXRetryMaxDelay() throws Exception {
        ch.queueDeclare("work", false, false, false, args("x-retry-max-count", 4, "x-retry-delay", 150,
                "x-retry-delay-multiplier", 10, "x-retry-max-delay", 400));
        ch.basicPublish("", "work", null, bytes("capped"));

        Rejecter worker = rejectEverything("work");
        eventually().atMost(Duration.ofSeconds(10)).until(() -> worker.attempts.size() == 5);

        assertGaps(worker.attempts, 150, 400, 400, 400);
    }

    @Test
    void withoutADeadLetterExchangeASpentMessageIsDropped() throws Exception {
        ch.queueDeclare("work", false, false, false, args("x-retry-max-count", 1, "x-retry-delay", 100));
        ch.basicPublish("", "work", null, bytes("once more, then gone"));

        Rejecter worker = rejectEverything("work");
        eventually().until(() -> worker.attempts.size() == 2);
        throughout(500).until(() -> worker.attempts.size() == 2);

        assertThat(ready(broker, "work")).isZero();
        assertThat(managementQueue(broker, "work").get("messages_delayed").asLong()).isZero();
        assertThat(stat(broker, "work", "retried")).isEqualTo(1);
    }

    @Test
    void aNackOfManyRetriesEachAndWhileItWaitsTheManagementApiCountsIt() throws Exception {
        ch.queueDeclare("work", false, false, false, args("x-retry-max-count", 2, "x-retry-delay", 60_000));
        for (int i = 0; i < 3; i++) {
            ch.basicPublish("", "work", persistent(), bytes("m" + i));
        }
        GetResponse last = null;
        for (int i = 0; i < 3; i++) {
            last = ch.basicGet("work", false);
        }
        ch.basicNack(last.getEnvelope().getDeliveryTag(), true, false);

        eventually().until(() -> managementQueue(broker, "work").get("messages_delayed").asLong() == 3);
        assertThat(managementQueue(broker, "work").get("messages_unacknowledged").asLong()).isZero();
        assertThat(ready(broker, "work")).isZero();
        assertThat(broker.broker().vhost().delayedMessages().scheduled()).isEqualTo(3);
    }

    @Test
    void aRequeueStillComesBackAtOnceAndCountsTowardsTheRetries() throws Exception {
        ch.queueDeclare("work", false, false, false, args("x-retry-max-count", 2, "x-retry-delay", 200));
        ch.basicPublish("", "work", null, bytes("requeued, then rejected"));

        GetResponse first = ch.basicGet("work", false);
        ch.basicNack(first.getEnvelope().getDeliveryTag(), false, true);
        GetResponse second = ch.basicGet("work", false);
        assertThat(second).as("requeued at once").isNotNull();
        assertThat(header(second.getProps(), "x-delivery-count")).isEqualTo(1L);
        ch.basicReject(second.getEnvelope().getDeliveryTag(), false);

        // The second delivery to come back: retry 2, which is the last.
        GetResponse third = awaitGet(ch, "work");
        assertThat(header(third.getProps(), "x-delivery-count")).isEqualTo(2L);
        assertThat(third.getEnvelope().isRedeliver()).isTrue();
    }

    @Test
    void aRetriedMessageComesBackWithItsPriorityAndWaitsItsTurnByIt() throws Exception {
        ch.queueDeclare("work", false, false, false, args("x-retry-max-count", 1, "x-retry-delay", 300,
                "x-max-priority", 5));
        ch.basicPublish("", "work", new AMQP.BasicProperties.Builder().priority(4).build(), bytes("high"));
        GetResponse r = ch.basicGet("work", false);
        ch.basicReject(r.getEnvelope().getDeliveryTag(), false);
        ch.basicPublish("", "work", new AMQP.BasicProperties.Builder().priority(1).build(), bytes("low"));

        eventually().until(() -> ready(broker, "work") == 2);
        GetResponse next = ch.basicGet("work", true);
        assertThat(text(next.getBody())).isEqualTo("high");
        assertThat(next.getProps().getPriority()).isEqualTo(4);
    }

    @ParameterizedTest(name = "{0} = {1}")
    @CsvSource(delimiter = '|', value = {
        "x-retry-max-count        | 0      | {value_too_small,0} (at least 1)",
        "x-retry-max-count        | 1001   | {value_too_large,1001} (at most 1000)",
        "x-retry-max-count        | -1     | {value_negative,-1}",
        "x-retry-delay            | -5     | {value_negative,-5}",
        "x-retry-delay-multiplier | 0      | {value_too_small,0} (at least 1)",
        "x-retry-max-delay        | -1     | {value_negative,-1}",
        "x-retry-delay            | soon   | \"expected integer, got longstr\"",
    })
    void aBadRetryArgumentIsRefusedWith406NamingIt(String argument, String value, String why) throws Exception {
        Object v = value.matches("-?\\d+") ? (Object) Integer.valueOf(value) : value;

        Throwable t = org.assertj.core.api.Assertions.catchThrowable(() ->
                ch.queueDeclare("work", false, false, false, args(argument, v)));

        CloseReasons.of(t).isChannelError(406, "PRECONDITION_FAILED - invalid arg '" + argument
                + "' for queue 'work' in vhost '/': " + why);
        assertThat(Jobs.queue(broker, "work")).as("no queue left behind").isNull();
    }
}
