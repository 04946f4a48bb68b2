package io.spool.broker.durability;

import static org.assertj.core.api.Assertions.assertThat;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.MessageProperties;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * kill -9 and an exchange that keeps its deduplication keys on disk: every key of a confirmed
 * publish is still known after the crash, so a publisher retrying its last messages (it cannot
 * know which of them got through) adds no duplicates.
 */
class DeduplicationCrashTest {

    @TempDir
    Path dataDir;

    private static AMQP.BasicProperties keyed(String key) {
        return MessageProperties.PERSISTENT_TEXT_PLAIN.builder().headers(Map.of("x-deduplication-header", key)).build();
    }

    private static void publishConfirmed(Channel ch, int from, int to) throws Exception {
        for (int i = from; i < to; i++) {
            ch.basicPublish("orders", "", keyed("order-" + i), ("order " + i).getBytes(StandardCharsets.UTF_8));
        }
        ch.waitForConfirmsOrDie(30_000);
    }

    @Test
    void theKeysOfConfirmedPublishesSurviveAKill() throws Exception {
        try (BrokerProcess broker = BrokerProcess.start(dataDir)) {
            Channel ch = broker.connect().createChannel();
            ch.confirmSelect();
            ch.exchangeDeclare("orders", "x-message-deduplication", true, false,
                    Map.of("x-cache-size", 5_000, "x-cache-persistence", "disk"));
            ch.queueDeclare("billing", true, false, false, null);
            ch.queueBind("billing", "orders", "");
            publishConfirmed(ch, 0, 2_000);
            broker.kill();
        }

        try (BrokerProcess broker = BrokerProcess.start(dataDir)) {
            Channel ch = broker.connect().createChannel();
            ch.confirmSelect();
            assertThat(ch.messageCount("billing")).isEqualTo(2_000);
            // The publisher's retry of everything it sent, and then new orders.
            publishConfirmed(ch, 0, 2_100);
            assertThat(ch.messageCount("billing")).isEqualTo(2_100);
        }
    }

    @Test
    void aRefusedPublishLeavesNoKeyBehindAfterAKill() throws Exception {
        try (BrokerProcess broker = BrokerProcess.start(dataDir)) {
            Channel ch = broker.connect().createChannel();
            ch.confirmSelect();
            ch.exchangeDeclare("orders", "x-message-deduplication", true, false,
                    Map.of("x-cache-size", 100, "x-cache-persistence", "disk"));
            ch.queueDeclare("billing", true, false, false, Map.of("x-max-length", 1, "x-overflow", "reject-publish"));
            ch.queueBind("billing", "orders", "");
            ch.basicPublish("orders", "", keyed("order-1"), "order 1".getBytes(StandardCharsets.UTF_8));
            assertThat(ch.waitForConfirms(10_000)).isTrue();
            ch.basicPublish("orders", "", keyed("order-2"), "order 2".getBytes(StandardCharsets.UTF_8));
            assertThat(ch.waitForConfirms(10_000)).as("nacked: the queue is full").isFalse();
            broker.kill();
        }

        try (BrokerProcess broker = BrokerProcess.start(dataDir)) {
            Channel ch = broker.connect().createChannel();
            ch.confirmSelect();
            assertThat(new String(ch.basicGet("billing", true).getBody(), StandardCharsets.UTF_8)).isEqualTo("order 1");
            // The retry of the nacked order is no duplicate: it was never stored.
            ch.basicPublish("orders", "", keyed("order-2"), "order 2".getBytes(StandardCharsets.UTF_8));
            assertThat(ch.waitForConfirms(10_000)).isTrue();
            assertThat(new String(ch.basicGet("billing", true).getBody(), StandardCharsets.UTF_8)).isEqualTo("order 2");
        }
    }
}
