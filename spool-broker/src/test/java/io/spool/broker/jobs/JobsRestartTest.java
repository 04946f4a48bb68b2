package io.spool.broker.jobs;

import static io.spool.broker.jobs.Jobs.args;
import static io.spool.broker.jobs.Jobs.awaitGet;
import static io.spool.broker.jobs.Jobs.bytes;
import static io.spool.broker.jobs.Jobs.deathSummary;
import static io.spool.broker.jobs.Jobs.eventually;
import static io.spool.broker.jobs.Jobs.get;
import static io.spool.broker.jobs.Jobs.header;
import static io.spool.broker.jobs.Jobs.props;
import static io.spool.broker.jobs.Jobs.sync;
import static io.spool.broker.jobs.Jobs.text;
import static io.spool.broker.jobs.Jobs.xDeath;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.GetResponse;
import io.spool.broker.durability.BrokerProcess;
import io.spool.broker.testing.CloseReasons;
import io.spool.broker.testing.RecordingConsumer;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Job state across a restart of a broker process, stopped gracefully or killed with kill -9:
 * queue arguments, message deadlines (a message whose TTL passes while the broker is down is
 * dead-lettered after the start and never delivered), dead letters waiting in a durable
 * dead-letter queue with their x-death, priorities, and failed-delivery counts with the
 * delivery limit they count towards.
 */
class JobsRestartTest {

    private static final int TTL = 1_000;
    private static final Map<String, Object> JOBS_ARGS = args("x-max-priority", 10, "x-delivery-limit", 3,
            "x-dead-letter-exchange", "dlx", "x-max-length", 100, "x-overflow", "reject-publish");

    @TempDir
    Path tmp;

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"kill -9", "graceful stop"})
    void jobStateSurvivesARestart(String how) throws Exception {
        Path data = tmp.resolve("data");
        long ttlDeadline;
        try (BrokerProcess before = BrokerProcess.start(data)) {
            Channel ch = before.connect().createChannel();
            // "expiring" comes first in the definitions: it is recovered before the queue its
            // dead letters go to.
            ch.queueDeclare("expiring", true, false, false,
                    args("x-message-ttl", TTL, "x-dead-letter-exchange", "", "x-dead-letter-routing-key", "dead"));
            ch.queueDeclare("jobs", true, false, false, JOBS_ARGS);
            ch.exchangeDeclare("dlx", "fanout", true);
            ch.queueDeclare("dead", true, false, false, null);
            ch.queueBind("dead", "dlx", "");
            ch.queueDeclare("work", true, false, false, args("x-dead-letter-exchange", "dlx"));

            // A rejected job waits in the dead-letter queue.
            ch.basicPublish("", "work", props().deliveryMode(2).build(), bytes("bad job"));
            ch.basicReject(get(ch, "work").getEnvelope().getDeliveryTag(), false);
            eventually().until(() -> ch.queueDeclarePassive("dead").getMessageCount() == 1);

            // Jobs of several priorities; the poison one has failed twice.
            ch.confirmSelect();
            publish(ch, "jobs", "poison", 9);
            publish(ch, "jobs", "urgent", 9);
            publish(ch, "jobs", "low", 1);
            publish(ch, "jobs", "normal", 5);
            publish(ch, "jobs", "none", null);
            for (int failure = 0; failure < 2; failure++) {
                GetResponse r = get(ch, "jobs");
                assertThat(text(r.getBody())).isEqualTo("poison");
                ch.basicNack(r.getEnvelope().getDeliveryTag(), false, true);
            }
            sync(ch);

            // A job that expires while the broker is down. Its confirm (like the ones above)
            // also means the dead letter in "dead" is on disk: one group commit covers every
            // record written before.
            ttlDeadline = System.currentTimeMillis() + TTL;
            publish(ch, "expiring", "expires while down", null);
            ch.waitForConfirmsOrDie(10_000);

            if (how.equals("kill -9")) {
                before.kill();
            } else {
                assertThat(before.stop()).isZero();
            }
        }
        eventually().atMost(Duration.ofSeconds(5)).until(() -> System.currentTimeMillis() > ttlDeadline);

        try (BrokerProcess after = BrokerProcess.start(data)) {
            Connection conn = after.connect();
            Channel ch = conn.createChannel();
            // The expired job is never handed out...
            Channel worker = conn.createChannel();
            RecordingConsumer consumer = new RecordingConsumer(worker, true);
            worker.basicConsume("expiring", false, consumer);
            consumer.awaitConsumeOk();
            // ... it is dead-lettered, next to the one rejected before the restart.
            eventually().until(() -> ch.queueDeclarePassive("dead").getMessageCount() == 2);
            assertThat(consumer.count()).isZero();
            List<String> dead = new ArrayList<>();
            for (int i = 0; i < 2; i++) {
                GetResponse r = get(ch, "dead");
                dead.add(text(r.getBody()) + " " + deathSummary(r.getProps()) + " "
                        + xDeath(r.getProps()).get(0).get("routing-keys"));
            }
            assertThat(dead).containsExactly("bad job [work/rejected/1] [work]",
                    "expires while down [expiring/expired/1] [expiring]");

            // The arguments are those declared.
            ch.queueDeclare("jobs", true, false, false, JOBS_ARGS);
            Map<String, Object> otherPriority = new LinkedHashMap<>(JOBS_ARGS);
            otherPriority.put("x-max-priority", 5);
            Channel redeclare = conn.createChannel();
            assertThatThrownBy(() -> redeclare.queueDeclare("jobs", true, false, false, otherPriority))
                    .isInstanceOf(IOException.class);
            CloseReasons.awaitClosed(redeclare).isChannelError(406, "PRECONDITION_FAILED - inequivalent arg "
                    + "'x-max-priority' for queue 'jobs' in vhost '/': received '5' but current is '10'");

            // The poison job keeps its count: one more failure is allowed, the next is one too many.
            GetResponse third = get(ch, "jobs");
            assertThat(text(third.getBody())).isEqualTo("poison");
            assertThat(third.getEnvelope().isRedeliver()).isTrue();
            assertThat(header(third.getProps(), "x-delivery-count")).isEqualTo(2L);
            ch.basicNack(third.getEnvelope().getDeliveryTag(), false, true);
            GetResponse fourth = get(ch, "jobs");
            assertThat(text(fourth.getBody())).isEqualTo("poison");
            assertThat(header(fourth.getProps(), "x-delivery-count")).isEqualTo(3L);
            ch.basicNack(fourth.getEnvelope().getDeliveryTag(), false, true);
            GetResponse poisoned = awaitGet(ch, "dead");
            assertThat(text(poisoned.getBody())).isEqualTo("poison");
            assertThat(deathSummary(poisoned.getProps())).containsExactly("jobs/delivery_limit/1");

            // The others come by priority.
            List<String> rest = new ArrayList<>();
            GetResponse r;
            while ((r = ch.basicGet("jobs", true)) != null) {
                rest.add(text(r.getBody()));
            }
            assertThat(rest).containsExactly("urgent", "normal", "low", "none");
        }
    }

    private static void publish(Channel ch, String queue, String body, Integer priority) throws Exception {
        ch.basicPublish("", queue, props().deliveryMode(2).priority(priority).build(), bytes(body));
    }
}
