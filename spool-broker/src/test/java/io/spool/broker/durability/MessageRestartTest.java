package io.spool.broker.durability;

import static io.spool.broker.durability.FieldValuesForTests.normalizeTable;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.GetResponse;
import com.rabbitmq.client.impl.LongStringHelper;
import io.spool.broker.testing.RecordingConsumer;
import io.spool.broker.testing.TestBroker;
import java.io.IOException;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Date;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Messages across a clean restart on the same data directory: persistent messages in durable
 * queues come back in order with every property and header as published; transient ones do
 * not; acknowledged ones stay acknowledged; delivered but unacknowledged ones come back flagged
 * redelivered and never-delivered ones unflagged. Segments are small here so that queues span
 * many segment files.
 */
class MessageRestartTest {

    private static final int SEGMENT_SIZE = 64 * 1024;

    @RegisterExtension
    final TestBroker broker = new TestBroker(b -> b.segmentSize(SEGMENT_SIZE));

    /** Properties with every field set and a headers table of every type, nested. */
    private static AMQP.BasicProperties fullProperties() {
        Map<String, Object> inner = new LinkedHashMap<>();
        inner.put("level", 3);
        inner.put("empty-table", Map.of());
        inner.put("empty-array", List.of());
        Map<String, Object> middle = new LinkedHashMap<>();
        middle.put("inner", inner);
        middle.put("array-of-tables", List.of(Map.of("a", 1), Map.of("b", List.of(2L, "two"))));
        Map<String, Object> headers = new LinkedHashMap<>();
        headers.put("string", "plain");
        headers.put("unicode", "zażółć gęślą jaźń — 日本語 ✓");
        headers.put("empty", "");
        headers.put("long-string", LongStringHelper.asLongString(new byte[] {'r', 'a', 'w', 0, 'x'}));
        headers.put("int", Integer.MIN_VALUE);
        headers.put("long", Long.MAX_VALUE);
        headers.put("byte", (byte) -128);
        headers.put("short", (short) 32_767);
        headers.put("float", 3.25f);
        headers.put("double", Math.PI);
        headers.put("decimal", new BigDecimal("-1234.5678"));
        headers.put("timestamp", new Date(1_234_567_890_000L));
        headers.put("true", true);
        headers.put("false", false);
        headers.put("bytes", new byte[] {0, 1, 2, (byte) 0xFE, (byte) 0xFF});
        headers.put("void", null);
        headers.put("array", Arrays.asList(1, "two", 3.0d, null, List.of(4, List.of(5)), Map.of("six", 6)));
        headers.put("table", middle);
        return new AMQP.BasicProperties.Builder()
                .contentType("application/json")
                .contentEncoding("gzip")
                .headers(headers)
                .deliveryMode(2)
                .priority(7)
                .correlationId("corr-42")
                .replyTo("replies")
                .expiration("86400000")
                .messageId("msg-0001")
                .timestamp(new Date(1_700_000_000_000L))
                .type("invoice.created")
                .userId("guest")
                .appId("billing")
                .clusterId("c1")
                .build();
    }

    private static AMQP.BasicProperties persistent(String id) {
        return new AMQP.BasicProperties.Builder().deliveryMode(2).messageId(id).build();
    }

    private static AMQP.BasicProperties transientProps(String id) {
        return new AMQP.BasicProperties.Builder().deliveryMode(1).messageId(id).build();
    }

    private static void assertSameProperties(AMQP.BasicProperties actual, AMQP.BasicProperties expected) {
        assertThat(actual.getContentType()).isEqualTo(expected.getContentType());
        assertThat(actual.getContentEncoding()).isEqualTo(expected.getContentEncoding());
        assertThat(normalizeTable(actual.getHeaders())).isEqualTo(normalizeTable(expected.getHeaders()));
        assertThat(actual.getDeliveryMode()).isEqualTo(expected.getDeliveryMode());
        assertThat(actual.getPriority()).isEqualTo(expected.getPriority());
        assertThat(actual.getCorrelationId()).isEqualTo(expected.getCorrelationId());
        assertThat(actual.getReplyTo()).isEqualTo(expected.getReplyTo());
        assertThat(actual.getExpiration()).isEqualTo(expected.getExpiration());
        assertThat(actual.getMessageId()).isEqualTo(expected.getMessageId());
        assertThat(actual.getTimestamp()).isEqualTo(expected.getTimestamp());
        assertThat(actual.getType()).isEqualTo(expected.getType());
        assertThat(actual.getUserId()).isEqualTo(expected.getUserId());
        assertThat(actual.getAppId()).isEqualTo(expected.getAppId());
        assertThat(actual.getClusterId()).isEqualTo(expected.getClusterId());
    }

    @Test
    void persistentMessagesComeBackInOrderWithEveryPropertyAndHeaderAndTransientOnesDoNot() throws Exception {
        Channel ch = broker.connect().createChannel();
        ch.queueDeclare("jobs", true, false, false, null);
        ch.confirmSelect();
        byte[] everyByte = new byte[256];
        for (int i = 0; i < everyByte.length; i++) {
            everyByte[i] = (byte) i;
        }
        // Larger than a frame and than a segment: it spans frames on the wire and has a segment to itself.
        byte[] large = new byte[300 * 1024];
        new java.util.Random(1).nextBytes(large);

        ch.basicPublish("", "jobs", fullProperties(), everyByte);
        ch.basicPublish("", "jobs", transientProps("t1"), "transient".getBytes(StandardCharsets.UTF_8));
        ch.basicPublish("", "jobs", persistent("p2"), large);
        ch.basicPublish("", "jobs", new AMQP.BasicProperties.Builder().messageId("t3").build(), new byte[] {3});
        ch.basicPublish("", "jobs", persistent("p4"), new byte[0]);
        for (int i = 5; i < 1000; i++) {
            boolean p = i % 3 != 0;
            ch.basicPublish("", "jobs", p ? persistent("p" + i) : transientProps("t" + i),
                    ("body " + i).getBytes(StandardCharsets.UTF_8));
        }
        ch.waitForConfirmsOrDie(10_000);

        broker.restart();

        Channel after = broker.connect().createChannel();
        List<GetResponse> got = drain(after, "jobs");
        assertThat(got).extracting(r -> r.getProps().getMessageId())
                .allMatch(id -> id == null || id.startsWith("p") || id.equals("msg-0001"));
        List<String> expectedIds = new ArrayList<>(List.of("msg-0001", "p2", "p4"));
        for (int i = 5; i < 1000; i++) {
            if (i % 3 != 0) {
                expectedIds.add("p" + i);
            }
        }
        assertThat(got).extracting(r -> r.getProps().getMessageId()).containsExactlyElementsOf(expectedIds);
        assertThat(got).noneMatch(r -> r.getEnvelope().isRedeliver());
        assertThat(got).allMatch(r -> r.getEnvelope().getExchange().isEmpty()
                && r.getEnvelope().getRoutingKey().equals("jobs"));

        assertSameProperties(got.get(0).getProps(), fullProperties());
        assertThat(got.get(0).getBody()).isEqualTo(everyByte);
        assertThat(got.get(1).getBody()).isEqualTo(large);
        assertThat(got.get(2).getBody()).isEmpty();
        assertThat(new String(got.get(3).getBody(), StandardCharsets.UTF_8)).isEqualTo("body 5");
        for (GetResponse r : got.subList(1, got.size())) {
            assertSameProperties(r.getProps(), persistent(r.getProps().getMessageId()));
        }
    }

    @Test
    void ackedMessagesStayAckedUnackedOnesComeBackRedeliveredAndUndeliveredOnesUnflaggedInOrder() throws Exception {
        Channel ch = broker.connect().createChannel();
        ch.queueDeclare("work", true, false, false, null);
        ch.confirmSelect();
        for (int i = 1; i <= 10; i++) {
            ch.basicPublish("", "work", persistent("m" + i), ("m" + i).getBytes(StandardCharsets.UTF_8));
        }
        ch.waitForConfirmsOrDie(10_000);

        Channel consumerCh = broker.connect().createChannel();
        consumerCh.basicQos(6);
        RecordingConsumer consumer = new RecordingConsumer(consumerCh);
        consumerCh.basicConsume("work", false, consumer);
        List<RecordingConsumer.Received> first = consumer.next(6);
        assertThat(first).extracting(RecordingConsumer.Received::text)
                .containsExactly("m1", "m2", "m3", "m4", "m5", "m6");
        // Cancel first so that the acks free no credit for m7 and later: those stay undelivered.
        consumerCh.basicCancel(consumer.getConsumerTag());
        consumer.awaitCancelOk();
        consumerCh.basicAck(first.get(1).deliveryTag(), false);
        consumerCh.basicAck(first.get(3).deliveryTag(), false);
        // A round trip on the same channel: the broker has taken both acks before answering.
        assertThat(consumerCh.queueDeclarePassive("work").getMessageCount()).isEqualTo(4);

        broker.restart();

        Channel after = broker.connect().createChannel();
        List<GetResponse> got = drain(after, "work", false);
        assertThat(got).extracting(r -> new String(r.getBody(), StandardCharsets.UTF_8) + (r.getEnvelope().isRedeliver()
                ? " redelivered" : "")).containsExactly("m1 redelivered", "m3 redelivered", "m5 redelivered",
                "m6 redelivered", "m7", "m8", "m9", "m10");
        // Ack all of them this time: after another clean restart nothing comes back.
        after.basicAck(0, true);
        assertThat(after.queueDeclarePassive("work").getMessageCount()).isZero();

        broker.restart();

        Channel last = broker.connect().createChannel();
        assertThat(last.queueDeclarePassive("work").getMessageCount()).isZero();
        assertThat(drain(last, "work")).isEmpty();
    }

    @Test
    void purgedAutoAckedAndRejectedMessagesDoNotComeBackAndEachDurableQueueKeepsItsOwnCopy() throws Exception {
        Channel ch = broker.connect().createChannel();
        ch.exchangeDeclare("fan", "fanout", true);
        for (String q : List.of("purged", "auto", "rejected", "kept")) {
            ch.queueDeclare(q, true, false, false, null);
            ch.queueBind(q, "fan", "");
        }
        ch.confirmSelect();
        for (int i = 0; i < 300; i++) {
            ch.basicPublish("fan", "", persistent("f" + i), ("f" + i).getBytes(StandardCharsets.UTF_8));
        }
        ch.waitForConfirmsOrDie(10_000);
        assertThat(ch.queuePurge("purged").getMessageCount()).isEqualTo(300);
        assertThat(drain(ch, "auto")).hasSize(300);
        List<GetResponse> toReject = drain(ch, "rejected", false);
        for (GetResponse r : toReject) {
            ch.basicReject(r.getEnvelope().getDeliveryTag(), false);
        }
        assertThat(ch.queueDeclarePassive("rejected").getMessageCount()).isZero();

        broker.restart();

        Channel after = broker.connect().createChannel();
        assertThat(drain(after, "purged")).isEmpty();
        assertThat(drain(after, "auto")).isEmpty();
        assertThat(drain(after, "rejected")).isEmpty();
        assertThat(drain(after, "kept")).extracting(r -> new String(r.getBody(), StandardCharsets.UTF_8))
                .containsExactlyElementsOf(IntStream.range(0, 300).mapToObj(i -> "f" + i).toList());
        // Nothing is left counted as held in memory once everything is settled.
        assertThat(broker.broker().memory().bytes()).isZero();
    }

    @Test
    void aDeliveredButUnackedMessageStaysFlaggedRedeliveredAcrossSeveralRestarts() throws Exception {
        Channel ch = broker.connect().createChannel();
        ch.queueDeclare("slow", true, false, false, null);
        ch.confirmSelect();
        for (int i = 1; i <= 3; i++) {
            ch.basicPublish("", "slow", persistent("s" + i), ("s" + i).getBytes(StandardCharsets.UTF_8));
        }
        ch.waitForConfirmsOrDie(10_000);
        GetResponse taken = ch.basicGet("slow", false);
        assertThat(taken.getEnvelope().isRedeliver()).isFalse();

        broker.restart();
        // Nobody consumes in between.
        broker.restart();

        Channel after = broker.connect().createChannel();
        after.confirmSelect();
        after.basicPublish("", "slow", persistent("s4"), "s4".getBytes(StandardCharsets.UTF_8));
        after.waitForConfirmsOrDie(10_000);
        assertThat(drain(after, "slow")).extracting(r -> new String(r.getBody(), StandardCharsets.UTF_8)
                + (r.getEnvelope().isRedeliver() ? " redelivered" : ""))
                .containsExactly("s1 redelivered", "s2", "s3", "s4");
    }

    @Test
    void aDrainedDeepQueueLeavesAlmostNothingOnDiskAndNothingComesBack() throws Exception {
        int total = 20_000;
        Channel ch = broker.connect().createChannel();
        ch.queueDeclare("deep", true, false, false, null);
        ch.confirmSelect();
        byte[] body = new byte[100];
        for (int i = 0; i < total; i++) {
            ch.basicPublish("", "deep", persistent("d" + i), body);
        }
        ch.waitForConfirmsOrDie(30_000);
        Path store = broker.broker().storage().dirFor("/", "deep", true);
        assertThat(segmentFiles(store)).as("a deep queue spans many segments").hasSizeGreaterThan(20);

        Channel consumerCh = broker.connect().createChannel();
        consumerCh.basicQos(200);
        RecordingConsumer consumer = new RecordingConsumer(consumerCh, true);
        consumerCh.basicConsume("deep", false, consumer);
        await().atMost(Duration.ofSeconds(60)).until(() -> consumer.count() == total);
        assertThat(consumer.all()).extracting(r -> r.properties().getMessageId())
                .containsExactlyElementsOf(IntStream.range(0, total).mapToObj(i -> "d" + i).toList());
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
            assertThat(broker.broker().vhost().queue("deep").stats().unacked()).isZero();
            assertThat(bytesIn(store)).as("bytes left in %s", store).isLessThan(SEGMENT_SIZE / 16);
        });

        assertThat(broker.broker().memory().bytes()).as("bytes counted as held in memory").isZero();

        broker.restart();

        assertThat(broker.connect().createChannel().queueDeclarePassive("deep").getMessageCount()).isZero();
        assertThat(bytesIn(store)).isLessThan(SEGMENT_SIZE / 16);
    }

    // ---- helpers ----

    private static List<GetResponse> drain(Channel ch, String queue) throws IOException {
        return drain(ch, queue, true);
    }

    private static List<GetResponse> drain(Channel ch, String queue, boolean autoAck) throws IOException {
        List<GetResponse> all = new ArrayList<>();
        for (GetResponse r = ch.basicGet(queue, autoAck); r != null; r = ch.basicGet(queue, autoAck)) {
            all.add(r);
        }
        return all;
    }

    private static List<Path> segmentFiles(Path dir) throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            return files.filter(p -> p.toString().endsWith(".msgs")).toList();
        }
    }

    private static long bytesIn(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return 0;
        }
        try (Stream<Path> files = Files.list(dir)) {
            long total = 0;
            for (Path p : files.toList()) {
                total += Files.size(p);
            }
            return total;
        }
    }
}
