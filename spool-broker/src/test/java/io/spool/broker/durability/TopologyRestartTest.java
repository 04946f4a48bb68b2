package io.spool.broker.durability;

import static io.spool.broker.durability.FieldValuesForTests.normalizeTable;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.GetResponse;
import com.rabbitmq.client.ShutdownSignalException;
import io.spool.broker.testing.TestBroker;
import java.io.IOException;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Date;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Which parts of the topology survive a restart of the broker on the same data directory:
 * durable exchanges, queues and the bindings between durable ends come back with their
 * arguments exactly as declared; non-durable and exclusive ones, and everything deleted before
 * the restart, do not.
 */
class TopologyRestartTest {

    @RegisterExtension
    final TestBroker broker = new TestBroker();

    private static Map<String, Object> queueArguments() {
        Map<String, Object> nested = new LinkedHashMap<>();
        nested.put("depth", 2);
        nested.put("list", List.of("a", 1L, true));
        Map<String, Object> args = new LinkedHashMap<>();
        args.put("x-message-ttl", 60_000);
        args.put("x-max-length", 10_000L);
        args.put("x-dead-letter-exchange", "dlx");
        args.put("x-dead-letter-routing-key", "dead");
        args.put("x-max-priority", (byte) 5);
        args.put("x-overflow", "reject-publish");
        args.put("x-spool-short", (short) -7);
        args.put("x-spool-float", 1.5f);
        args.put("x-spool-double", -2.25d);
        args.put("x-spool-decimal", new BigDecimal("12.345"));
        args.put("x-spool-timestamp", new Date(1_700_000_000_000L));
        args.put("x-spool-bool", false);
        args.put("x-spool-bytes", new byte[] {0, 1, (byte) 0xFF});
        args.put("x-spool-table", nested);
        args.put("x-spool-void", null);
        return args;
    }

    private static Map<String, Object> headersBindingArguments() {
        Map<String, Object> args = new HashMap<>();
        args.put("x-match", "any");
        args.put("urgent", null);
        args.put("kind", "job");
        return args;
    }

    /** Declares everything durable the first test checks after the restart. */
    private void declareDurableTopology(Channel ch) throws IOException {
        ch.exchangeDeclare("orders.ae", "fanout", true);
        Map<String, Object> ordersArgs = new LinkedHashMap<>();
        ordersArgs.put("alternate-exchange", "orders.ae");
        ordersArgs.put("x-spool-note", 42L);
        ch.exchangeDeclare("orders", "direct", true, false, ordersArgs);
        ch.exchangeDeclare("events", "topic", true);
        ch.exchangeDeclare("match", "headers", true);
        ch.exchangeDeclare("internal.hop", "fanout", true, false, true, null);

        ch.queueDeclare("q.orders", true, false, false, null);
        ch.queueDeclare("q.ae", true, false, false, null);
        ch.queueDeclare("q.match", true, false, false, null);
        ch.queueDeclare("q.hop", true, false, false, null);
        ch.queueDeclare("q.args", true, false, false, queueArguments());

        ch.queueBind("q.orders", "orders", "new");
        ch.queueBind("q.orders", "orders", "order.new");
        ch.queueBind("q.ae", "orders.ae", "");
        ch.queueBind("q.match", "match", "", headersBindingArguments());
        // exchange to exchange: events -order.*-> orders -order.new-> q.orders, and through an internal one
        ch.exchangeBind("orders", "events", "order.*");
        ch.exchangeBind("internal.hop", "events", "audit.#");
        ch.queueBind("q.hop", "internal.hop", "");
    }

    @Test
    void durableExchangesQueuesAndBindingsComeBackWithTheirArgumentsAndRoutingWorksAsBefore() throws Exception {
        declareDurableTopology(broker.connect().createChannel());

        broker.restart();

        Connection conn = broker.connect();
        Channel ch = conn.createChannel();
        // Declaring everything again with the same properties is accepted: nothing is inequivalent.
        declareDurableTopology(ch);
        // The durable flag came back too: declaring one as non-durable is refused.
        assertThat(closeCode(() -> conn.createChannel().exchangeDeclare("orders", "direct", false)))
                .isEqualTo(406);
        assertThat(closeCode(() -> conn.createChannel().queueDeclare("q.orders", false, false, false, null)))
                .isEqualTo(406);

        // Arguments come back with their exact AMQP types, void values and nesting included.
        assertThat(normalizeTable(broker.broker().vhost().queue("q.args").arguments()))
                .isEqualTo(normalizeTable(queueArguments()));
        assertThat(normalizeTable(broker.broker().vhost().exchange("orders").arguments()))
                .isEqualTo(normalizeTable(Map.of("alternate-exchange", "orders.ae", "x-spool-note", 42L)));
        assertThat(broker.broker().vhost().exchange("internal.hop").internal()).isTrue();
        // An argument of another type is inequivalent (x-max-length as a string instead of a long).
        Map<String, Object> wrongType = new LinkedHashMap<>(queueArguments());
        wrongType.put("x-max-length", "10000");
        assertThat(closeCode(() -> conn.createChannel().queueDeclare("q.args", true, false, false, wrongType)))
                .isEqualTo(406);

        ch.confirmSelect();
        publish(ch, "orders", "new", null, "direct");
        publish(ch, "orders", "nobody-listens", null, "to the alternate exchange");
        publish(ch, "events", "order.new", null, "exchange to exchange");
        publish(ch, "events", "audit.login", null, "through the internal exchange");
        publish(ch, "match", "", Map.of("urgent", 0), "void binding value: any value matches");
        publish(ch, "match", "", Map.of("kind", "job"), "headers binding");
        publish(ch, "match", "", Map.of("kind", "report"), "matches nothing");

        assertThat(drain(ch, "q.orders")).containsExactly("direct", "exchange to exchange");
        assertThat(drain(ch, "q.ae")).containsExactly("to the alternate exchange");
        assertThat(drain(ch, "q.hop")).containsExactly("through the internal exchange");
        assertThat(drain(ch, "q.match")).containsExactly("void binding value: any value matches", "headers binding");

        // The restored headers binding is the very one declared: unbinding it with the same
        // arguments (void value included) removes it.
        ch.queueUnbind("q.match", "match", "", headersBindingArguments());
        publish(ch, "match", "", Map.of("kind", "job"), "no longer bound");
        assertThat(drain(ch, "q.match")).isEmpty();
    }

    @Test
    void nonDurableAndExclusiveObjectsAndBindingsToThemAreGoneAfterARestart() throws Exception {
        Channel ch = broker.connect().createChannel();
        ch.exchangeDeclare("keep.x", "direct", true);
        ch.queueDeclare("keep.q", true, false, false, null);
        ch.exchangeDeclare("temp.x", "direct", false);
        ch.queueDeclare("temp.q", false, false, false, null);
        ch.queueDeclare("excl.q", true, true, false, null);
        String serverNamed = ch.queueDeclare().getQueue();
        ch.queueBind("keep.q", "keep.x", "durable-to-durable");
        ch.queueBind("temp.q", "keep.x", "to-non-durable-queue");
        ch.queueBind("keep.q", "temp.x", "from-non-durable-exchange");
        ch.queueBind("excl.q", "keep.x", "to-exclusive-queue");
        ch.exchangeBind("temp.x", "keep.x", "to-non-durable-exchange");
        ch.confirmSelect();
        // A persistent message in a non-durable queue goes with it.
        publish(ch, "", "temp.q", null, "lost with its queue", true);
        try (Stream<Path> transientStores = Files.list(broker.dataDir().resolve("transient"))) {
            assertThat(transientStores).isNotEmpty();
        }

        broker.restart();

        Connection conn = broker.connect();
        assertThat(exists(conn, c -> c.exchangeDeclarePassive("keep.x"))).isTrue();
        assertThat(exists(conn, c -> c.queueDeclarePassive("keep.q"))).isTrue();
        assertThat(exists(conn, c -> c.exchangeDeclarePassive("temp.x"))).isFalse();
        assertThat(exists(conn, c -> c.queueDeclarePassive("temp.q"))).isFalse();
        assertThat(exists(conn, c -> c.queueDeclarePassive("excl.q"))).isFalse();
        assertThat(exists(conn, c -> c.queueDeclarePassive(serverNamed))).isFalse();
        assertThat(broker.broker().vhost().bindings())
                .extracting(b -> b.source().name() + " -> " + b.destination().name() + " " + b.routingKey())
                .containsExactly("keep.x -> keep.q durable-to-durable");
        // Their stores went too.
        try (Stream<Path> transientStores = Files.list(broker.dataDir().resolve("transient"))) {
            assertThat(transientStores).isEmpty();
        }

        // Declared again, the non-durable queue starts empty.
        Channel ch2 = conn.createChannel();
        ch2.queueDeclare("temp.q", false, false, false, null);
        assertThat(drain(ch2, "temp.q")).isEmpty();
    }

    @Test
    void whatWasDeletedBeforeARestartStaysDeletedAndADeletedQueueLeavesNoFiles() throws Exception {
        Channel ch = broker.connect().createChannel();
        ch.exchangeDeclare("gone.x", "fanout", true);
        ch.exchangeDeclare("kept.x", "direct", true);
        ch.queueDeclare("gone.q", true, false, false, null);
        ch.queueDeclare("kept.q", true, false, false, null);
        ch.queueBind("kept.q", "kept.x", "unbound-later");
        ch.queueBind("kept.q", "kept.x", "stays");
        ch.queueBind("kept.q", "gone.x", "");
        ch.confirmSelect();
        for (int i = 0; i < 100; i++) {
            publish(ch, "", "gone.q", null, "message " + i, true);
        }
        Path store = broker.broker().storage().dirFor("/", "gone.q", true);
        try (Stream<Path> files = Files.list(store)) {
            assertThat(files.map(p -> p.getFileName().toString())).anyMatch(n -> n.endsWith(".msgs"));
        }

        assertThat(ch.queueDelete("gone.q").getMessageCount()).isEqualTo(100);
        ch.exchangeDelete("gone.x");
        ch.queueUnbind("kept.q", "kept.x", "unbound-later");
        assertThat(store).doesNotExist();

        broker.restart();

        Connection conn = broker.connect();
        assertThat(exists(conn, c -> c.queueDeclarePassive("gone.q"))).isFalse();
        assertThat(exists(conn, c -> c.exchangeDeclarePassive("gone.x"))).isFalse();
        assertThat(store).doesNotExist();
        assertThat(broker.broker().vhost().bindings())
                .extracting(b -> b.source().name() + " -> " + b.destination().name() + " " + b.routingKey())
                .containsExactly("kept.x -> kept.q stays");
        // The name can be used again, for an empty queue.
        Channel ch2 = conn.createChannel();
        assertThat(ch2.queueDeclare("gone.q", true, false, false, null).getMessageCount()).isZero();
    }

    // ---- helpers ----

    private interface ChannelCall {
        void run(Channel ch) throws IOException;
    }

    /** The reply code a call closes its channel with, or 0 if it succeeds. */
    private static int closeCode(Call call) throws Exception {
        try {
            call.run();
            return 0;
        } catch (IOException e) {
            if (e.getCause() instanceof ShutdownSignalException s && s.getReason() instanceof AMQP.Channel.Close c) {
                return c.getReplyCode();
            }
            throw e;
        }
    }

    private interface Call {
        void run() throws IOException;
    }

    private static boolean exists(Connection conn, ChannelCall call) throws Exception {
        Channel ch = conn.createChannel();
        int code = closeCode(() -> call.run(ch));
        assertThat(code).isIn(0, 404);
        if (code == 0) {
            ch.close();
        }
        return code == 0;
    }

    private static void publish(Channel ch, String exchange, String key, Map<String, Object> headers, String body)
            throws Exception {
        publish(ch, exchange, key, headers, body, false);
    }

    private static void publish(Channel ch, String exchange, String key, Map<String, Object> headers, String body,
                                boolean persistent) throws Exception {
        AMQP.BasicProperties props = new AMQP.BasicProperties.Builder()
                .headers(headers).deliveryMode(persistent ? 2 : 1).build();
        ch.basicPublish(exchange, key, props, body.getBytes(StandardCharsets.UTF_8));
        ch.waitForConfirmsOrDie(10_000);
    }

    private static List<String> drain(Channel ch, String queue) throws IOException {
        List<String> bodies = new ArrayList<>();
        for (GetResponse r = ch.basicGet(queue, true); r != null; r = ch.basicGet(queue, true)) {
            bodies.add(new String(r.getBody(), StandardCharsets.UTF_8));
        }
        return bodies;
    }
}
