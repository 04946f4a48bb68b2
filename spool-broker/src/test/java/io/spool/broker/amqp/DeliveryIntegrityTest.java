package io.spool.broker.amqp;

import static org.assertj.core.api.Assertions.assertThat;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.Delivery;
import com.rabbitmq.client.GetResponse;
import com.rabbitmq.client.Return;
import com.rabbitmq.client.impl.ValueWriter;
import io.spool.broker.testing.TestBroker;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Date;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A message routed to several queues arrives once in each, and what arrives is what was sent:
 * every property, and a headers table of every type the client can write, byte for byte.
 */
class DeliveryIntegrityTest {

    @RegisterExtension
    final TestBroker broker = new TestBroker();

    private Connection conn;
    private Channel ch;

    @BeforeEach
    void connect() throws Exception {
        conn = broker.connect();
        ch = conn.createChannel();
    }

    private static Map<String, Object> richHeaders() {
        Map<String, Object> nested = new LinkedHashMap<>();
        nested.put("inner-string", "ünïcödé ✓");
        nested.put("inner-long", Long.MIN_VALUE);
        nested.put("inner-table", new LinkedHashMap<>(Map.of("deep", List.of(1, "two", 3.0d))));
        Map<String, Object> headers = new LinkedHashMap<>();
        headers.put("string", "hello");
        headers.put("empty-string", "");
        headers.put("int", -123456);
        headers.put("long", 1L << 40);
        headers.put("short", (short) -300);
        headers.put("byte", (byte) -7);
        headers.put("bool-true", true);
        headers.put("bool-false", false);
        headers.put("float", 1.5f);
        headers.put("double", -2.25d);
        headers.put("decimal", new BigDecimal("123.4567"));
        headers.put("timestamp", new Date(1_700_000_000_000L));
        headers.put("bytes", new byte[] {0, 1, (byte) 0xff, 'x'});
        headers.put("void", null);
        headers.put("array", Arrays.asList("a", 1, 2L, true, null, new byte[] {9}, List.of()));
        headers.put("table", nested);
        headers.put("empty-table", new LinkedHashMap<>());
        return headers;
    }

    private static AMQP.BasicProperties richProperties(Map<String, Object> headers) {
        return new AMQP.BasicProperties.Builder()
                .contentType("application/json")
                .contentEncoding("gzip")
                .headers(headers)
                .deliveryMode(2)
                .priority(7)
                .correlationId("corr-1")
                .replyTo("replies")
                .expiration("60000")
                .messageId("msg-1")
                .timestamp(new Date(1_600_000_000_000L))
                .type("order.created")
                .userId("guest")
                .appId("shop")
                .clusterId("c1")
                .build();
    }

    /**
     * The properties as the client puts them on the wire (the content header frame's payload),
     * except that every table is written with its entries in name order: the client decodes
     * tables into hash maps, so the order it would write them back in means nothing.
     */
    private static byte[] wire(AMQP.BasicProperties props, long bodySize) throws Exception {
        Map<String, Object> headers = props.getHeaders();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(props.builder().headers(headers == null ? null : Map.of()).build()
                .toFrame(1, bodySize).getPayload());
        if (headers != null) {
            new ValueWriter(new DataOutputStream(out)).writeTable(sortedTable(headers));
        }
        return out.toByteArray();
    }

    private static Map<String, Object> sortedTable(Map<String, Object> table) {
        Map<String, Object> sorted = new TreeMap<>();
        table.forEach((k, v) -> sorted.put(k, sortedValue(v)));
        return sorted;
    }

    @SuppressWarnings("unchecked")
    private static Object sortedValue(Object v) {
        if (v instanceof Map<?, ?> m) {
            return sortedTable((Map<String, Object>) m);
        }
        if (v instanceof List<?> list) {
            List<Object> copy = new ArrayList<>();
            list.forEach(item -> copy.add(sortedValue(item)));
            return copy;
        }
        return v;
    }

    @Test
    void aFannedOutMessageArrivesOnceInEachQueueWithItsPropertiesAndBodyIntact() throws Exception {
        List<String> queues = List.of("q1", "q2", "q3");
        ch.exchangeDeclare("fan", "fanout");
        ch.exchangeDeclare("topic", "topic");
        ch.exchangeBind("topic", "fan", "");
        for (String q : queues) {
            ch.queueDeclare(q, false, false, false, null);
            ch.queueBind(q, "fan", "");
        }
        // q3 is also reached through the topic exchange, twice over.
        ch.queueBind("q3", "topic", "order.*");
        ch.queueBind("q3", "topic", "#");

        byte[] body = new byte[70_000];
        for (int i = 0; i < body.length; i++) {
            body[i] = (byte) (i * 31);
        }
        AMQP.BasicProperties sent = richProperties(richHeaders());
        Channel publisher = conn.createChannel();
        publisher.confirmSelect();
        publisher.basicPublish("fan", "order.created", sent, body);
        publisher.waitForConfirmsOrDie(5_000);

        List<AMQP.BasicProperties> received = new ArrayList<>();
        for (String q : queues) {
            GetResponse r = ch.basicGet(q, true);
            assertThat(r).as(q).isNotNull();
            assertThat(r.getMessageCount()).as("nothing else in %s", q).isZero();
            assertThat(r.getBody()).as(q).isEqualTo(body);
            assertThat(r.getEnvelope().getExchange()).isEqualTo("fan");
            assertThat(r.getEnvelope().getRoutingKey()).isEqualTo("order.created");
            assertThat(wire(r.getProps(), body.length)).as("properties of the copy in %s", q)
                    .isEqualTo(wire(sent, body.length));
            received.add(r.getProps());
            assertThat(ch.basicGet(q, true)).as("second copy in %s", q).isNull();
        }
        assertThat(received.get(1)).usingRecursiveComparison().isEqualTo(received.get(0));
        assertThat(received.get(2)).usingRecursiveComparison().isEqualTo(received.get(0));
        AMQP.BasicProperties first = received.get(0);
        assertThat(first.getHeaders().get("timestamp")).isEqualTo(new Date(1_700_000_000_000L));
        assertThat(first.getHeaders().get("decimal")).isEqualTo(new BigDecimal("123.4567"));
        assertThat((byte[]) first.getHeaders().get("bytes")).containsExactly(0, 1, 0xff, 'x');
        assertThat(first.getHeaders()).containsEntry("void", null);
        assertThat(first.getTimestamp()).isEqualTo(new Date(1_600_000_000_000L));
    }

    @Test
    void consumersReceiveTheSamePropertiesAsBasicGet() throws Exception {
        ch.queueDeclare("q", false, false, false, null);
        BlockingQueue<Delivery> deliveries = new LinkedBlockingQueue<>();
        Channel consumer = conn.createChannel();
        consumer.basicConsume("q", true, (tag, d) -> deliveries.add(d), tag -> { });

        AMQP.BasicProperties sent = richProperties(richHeaders());
        byte[] body = "payload".getBytes(StandardCharsets.UTF_8);
        ch.basicPublish("", "q", sent, body);

        Delivery d = deliveries.poll(5, TimeUnit.SECONDS);
        assertThat(d).isNotNull();
        assertThat(d.getBody()).isEqualTo(body);
        assertThat(wire(d.getProperties(), body.length)).isEqualTo(wire(sent, body.length));
    }

    @Test
    void stripsOnlyBccAndLeavesEveryOtherPropertyAndHeaderAsSent() throws Exception {
        ch.exchangeDeclare("d", "direct");
        ch.queueDeclare("to", false, false, false, null);
        ch.queueDeclare("bcc", false, false, false, null);
        ch.queueBind("to", "d", "to");
        ch.queueBind("bcc", "d", "bcc");

        Map<String, Object> headers = richHeaders();
        headers.put("CC", List.of("nobody"));
        Map<String, Object> withBcc = new LinkedHashMap<>(headers);
        withBcc.put("BCC", List.of("bcc"));
        byte[] body = "b".getBytes(StandardCharsets.UTF_8);
        Channel publisher = conn.createChannel();
        publisher.confirmSelect();
        publisher.basicPublish("d", "to", richProperties(withBcc), body);
        publisher.waitForConfirmsOrDie(5_000);

        byte[] expected = wire(richProperties(headers), body.length);
        for (String q : List.of("to", "bcc")) {
            GetResponse r = ch.basicGet(q, true);
            assertThat(r).as(q).isNotNull();
            assertThat(wire(r.getProps(), body.length)).as("properties in %s", q).isEqualTo(expected);
        }
    }

    @Test
    void aReturnedMessageCarriesItsPropertiesAndBody() throws Exception {
        BlockingQueue<Return> returns = new LinkedBlockingQueue<>();
        Channel publisher = conn.createChannel();
        publisher.addReturnListener(returns::add);
        publisher.confirmSelect();
        AMQP.BasicProperties sent = richProperties(richHeaders());
        byte[] body = "come back".getBytes(StandardCharsets.UTF_8);

        publisher.basicPublish("amq.direct", "unbound-key", true, sent, body);
        publisher.waitForConfirmsOrDie(5_000);

        Return r = returns.poll(5, TimeUnit.SECONDS);
        assertThat(r).isNotNull();
        assertThat(r.getReplyCode()).isEqualTo(312);
        assertThat(r.getReplyText()).isEqualTo("NO_ROUTE");
        assertThat(r.getExchange()).isEqualTo("amq.direct");
        assertThat(r.getRoutingKey()).isEqualTo("unbound-key");
        assertThat(r.getBody()).isEqualTo(body);
        assertThat(wire(r.getProperties(), body.length)).isEqualTo(wire(sent, body.length));
        assertThat(returns).isEmpty();
    }
}
