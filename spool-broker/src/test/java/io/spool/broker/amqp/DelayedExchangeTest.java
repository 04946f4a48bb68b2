package io.spool.broker.amqp;

import static io.spool.broker.amqp.AmqpFailures.assertClose;
import static io.spool.broker.amqp.AmqpFailures.channelError;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.GetResponse;
import com.rabbitmq.client.Return;
import io.spool.broker.testing.TestBroker;
import io.spool.broker.testing.TimedConsumer;
import io.spool.broker.testing.TimedConsumer.Arrival;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.math.BigDecimal;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The {@code x-delayed-message} exchange as a RabbitMQ delayed-message-plugin user sees it: a
 * message with an {@code x-delay} header arrives that many milliseconds later, routed by the
 * underlying type's bindings of that moment, with {@code x-delay} negated; anything that is not
 * a usable delay routes at once.
 */
class DelayedExchangeTest {

    /** Lateness tolerated here; the benchmark measures the real figures on a quiet machine. */
    private static final long SLACK_MILLIS = 400;

    @RegisterExtension
    final TestBroker broker = new TestBroker();

    private Connection conn;
    private Channel ch;

    @BeforeEach
    void declare() throws Exception {
        conn = broker.connect();
        ch = conn.createChannel();
        ch.exchangeDeclare("delayed", "x-delayed-message", false, false, delayedType("direct"));
        ch.queueDeclare("jobs", false, false, false, null);
        ch.queueBind("jobs", "delayed", "job");
    }

    static Map<String, Object> delayedType(String type) {
        Map<String, Object> args = new HashMap<>();
        args.put("x-delayed-type", type);
        return args;
    }

    static AMQP.BasicProperties delay(Object value) {
        Map<String, Object> headers = new HashMap<>();
        headers.put("x-delay", value);
        return new AMQP.BasicProperties.Builder().headers(headers).build();
    }

    private void publish(String exchange, String key, AMQP.BasicProperties props, String body) throws Exception {
        ch.basicPublish(exchange, key, props, body.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void aDelayedMessageArrivesAfterItsDelayWithXDelayNegatedAndEverythingElseIntact() throws Exception {
        TimedConsumer jobs = TimedConsumer.on(conn.createChannel(), "jobs");
        Map<String, Object> headers = new HashMap<>();
        headers.put("x-delay", 1000);
        headers.put("job-id", "j-17");
        AMQP.BasicProperties props = new AMQP.BasicProperties.Builder().headers(headers).messageId("m-1")
                .contentType("application/json").correlationId("c-9").priority(7).appId("shop").build();

        long published = System.currentTimeMillis();
        publish("delayed", "job", props, "{\"resize\":1}");
        Arrival a = jobs.next();

        assertThat(a.atMillis() - published).as("milliseconds after publishing").isBetween(1000L, 1000 + SLACK_MILLIS);
        assertThat(a.text()).isEqualTo("{\"resize\":1}");
        assertThat(a.envelope().getExchange()).isEqualTo("delayed");
        assertThat(a.envelope().getRoutingKey()).isEqualTo("job");
        assertThat(a.header("x-delay")).isEqualTo(-1000L);
        assertThat(a.header("job-id")).hasToString("j-17");
        AMQP.BasicProperties p = a.properties();
        assertThat(List.of(p.getMessageId(), p.getContentType(), p.getCorrelationId(), p.getAppId()))
                .containsExactly("m-1", "application/json", "c-9", "shop");
        assertThat(p.getPriority()).isEqualTo(7);
    }

    @Test
    void messagesArriveInTheOrderTheyAreDueNotTheOrderTheyWerePublished() throws Exception {
        TimedConsumer jobs = TimedConsumer.on(conn.createChannel(), "jobs");
        long published = System.currentTimeMillis();
        publish("delayed", "job", delay(1500), "third");
        publish("delayed", "job", delay(500), "first");
        publish("delayed", "job", delay(1000), "second");

        List<Arrival> arrivals = List.of(jobs.next(), jobs.next(), jobs.next());

        assertThat(arrivals).extracting(Arrival::text).containsExactly("first", "second", "third");
        assertThat(arrivals.get(0).atMillis() - published).isGreaterThanOrEqualTo(500);
        assertThat(arrivals.get(1).atMillis() - published).isGreaterThanOrEqualTo(1000);
        assertThat(arrivals.get(2).atMillis() - published).isGreaterThanOrEqualTo(1500);
    }

    @Test
    void integersOfEveryWidthFloatsAndNumericStringsAllDelay() throws Exception {
        TimedConsumer jobs = TimedConsumer.on(conn.createChannel(), "jobs");
        List<Object> values = List.of((short) 700, 700, 700L, 700.9f, 700.9d, "700");
        long published = System.currentTimeMillis();
        for (Object v : values) {
            publish("delayed", "job", delay(v), v.getClass().getSimpleName());
        }

        for (int i = 0; i < values.size(); i++) {
            Arrival a = jobs.next();
            assertThat(a.atMillis() - published).as(a.text()).isGreaterThanOrEqualTo(700);
            // Floats are truncated, strings parsed: the header comes back as minus the delay used.
            assertThat(a.header("x-delay")).as(a.text()).isEqualTo(-700L);
        }
        assertThat(jobs.texts()).containsExactlyInAnyOrder("Short", "Integer", "Long", "Float", "Double", "String");
    }

    @Test
    void aMessageWithoutAUsableDelayIsRoutedAtOnceWithItsHeaderUntouched() throws Exception {
        TimedConsumer jobs = TimedConsumer.on(conn.createChannel(), "jobs");
        publish("delayed", "job", delay(3000), "control, delayed");
        long published = System.currentTimeMillis();
        publish("delayed", "job", null, "no headers");
        publish("delayed", "job", new AMQP.BasicProperties.Builder().headers(Map.of("other", 1)).build(), "no x-delay");
        publish("delayed", "job", delay(0), "zero");
        publish("delayed", "job", delay(-5000), "negative");
        publish("delayed", "job", delay(4_294_967_296L), "beyond the largest delay");
        publish("delayed", "job", delay((byte) 100), "signed byte");
        publish("delayed", "job", delay("soon"), "not a number");
        publish("delayed", "job", delay(new BigDecimal("1000")), "decimal");
        publish("delayed", "job", delay(true), "boolean");

        List<Arrival> immediate = List.of(jobs.next(), jobs.next(), jobs.next(), jobs.next(), jobs.next(),
                jobs.next(), jobs.next(), jobs.next(), jobs.next());

        assertThat(immediate).extracting(Arrival::text).containsExactly("no headers", "no x-delay", "zero", "negative",
                "beyond the largest delay", "signed byte", "not a number", "decimal", "boolean");
        assertThat(immediate).allSatisfy(a -> assertThat(a.atMillis() - published).isLessThan(2000));
        assertThat(immediate.get(3).header("x-delay")).isEqualTo(-5000);
        assertThat(immediate.get(6).header("x-delay")).hasToString("soon");
        assertThat(jobs.next().text()).isEqualTo("control, delayed");
    }

    @Test
    void routesLikeItsUnderlyingTypeWhenDue() throws Exception {
        ch.exchangeDeclare("delayed-topic", "x-delayed-message", false, false, delayedType("topic"));
        ch.exchangeDeclare("delayed-fanout", "x-delayed-message", false, false, delayedType("fanout"));
        ch.exchangeDeclare("delayed-headers", "x-delayed-message", false, false, delayedType("headers"));
        ch.queueDeclare("urgent", false, false, false, null);
        ch.queueDeclare("all", false, false, false, null);
        ch.queueDeclare("pdf", false, false, false, null);
        ch.queueBind("urgent", "delayed-topic", "jobs.*.urgent");
        ch.queueBind("all", "delayed-fanout", "");
        ch.queueBind("pdf", "delayed-headers", "", Map.of("x-match", "all", "format", "pdf"));
        TimedConsumer urgent = TimedConsumer.on(conn.createChannel(), "urgent");
        TimedConsumer all = TimedConsumer.on(conn.createChannel(), "all");
        TimedConsumer pdf = TimedConsumer.on(conn.createChannel(), "pdf");

        publish("delayed-topic", "jobs.mail.later", delay(300), "not urgent");
        publish("delayed-topic", "jobs.mail.urgent", delay(300), "urgent mail");
        publish("delayed-fanout", "anything", delay(300), "to all");
        Map<String, Object> pdfHeaders = new HashMap<>(Map.of("x-delay", 300, "format", "pdf"));
        Map<String, Object> pngHeaders = new HashMap<>(Map.of("x-delay", 300, "format", "png"));
        publish("delayed-headers", "", new AMQP.BasicProperties.Builder().headers(pngHeaders).build(), "png");
        publish("delayed-headers", "", new AMQP.BasicProperties.Builder().headers(pdfHeaders).build(), "pdf");

        assertThat(urgent.next().text()).isEqualTo("urgent mail");
        assertThat(all.next().text()).isEqualTo("to all");
        assertThat(pdf.next().text()).isEqualTo("pdf");
        await().atMost(Duration.ofSeconds(5)).until(() -> broker.broker().vhost().delayedMessages().scheduled() == 0);
        assertThat(urgent.count() + all.count() + pdf.count()).isEqualTo(3);
    }

    @Test
    void theBindingsOfTheMomentItIsDueDecideWhereItGoes() throws Exception {
        ch.queueDeclare("late", false, false, false, null);
        TimedConsumer late = TimedConsumer.on(conn.createChannel(), "late");
        publish("delayed", "job", delay(1000), "rebound");
        ch.queueUnbind("jobs", "delayed", "job");
        ch.queueBind("late", "delayed", "job");

        assertThat(late.next().text()).isEqualTo("rebound");
        assertThat(ch.messageCount("jobs")).isZero();
    }

    @Test
    void reachedThroughAnExchangeToExchangeBindingItStillDelays() throws Exception {
        ch.exchangeDeclare("front", "direct");
        ch.exchangeBind("delayed", "front", "job");
        TimedConsumer jobs = TimedConsumer.on(conn.createChannel(), "jobs");

        long published = System.currentTimeMillis();
        publish("front", "job", delay(600), "via front");

        Arrival a = jobs.next();
        assertThat(a.atMillis() - published).isGreaterThanOrEqualTo(600);
        assertThat(a.envelope().getExchange()).isEqualTo("front");
    }

    @Test
    void theAlternateExchangeGetsAnUnroutableMessageWhenItIsDueNotWhenPublished() throws Exception {
        ch.exchangeDeclare("ae", "fanout");
        ch.queueDeclare("unrouted", false, false, false, null);
        ch.queueBind("unrouted", "ae", "");
        Map<String, Object> args = delayedType("direct");
        args.put("alternate-exchange", "ae");
        ch.exchangeDeclare("delayed-ae", "x-delayed-message", false, false, args);
        ch.confirmSelect();

        long published = System.currentTimeMillis();
        publish("delayed-ae", "nobody", delay(800), "nowhere to go");
        ch.waitForConfirmsOrDie(5_000);
        assertThat(ch.messageCount("unrouted")).as("right after publishing").isZero();

        TimedConsumer unrouted = TimedConsumer.on(conn.createChannel(), "unrouted");
        Arrival a = unrouted.next();
        assertThat(a.text()).isEqualTo("nowhere to go");
        assertThat(a.atMillis() - published).isGreaterThanOrEqualTo(800);
    }

    @Test
    void aMandatoryDelayedMessageComesBackOnlyIfNothingWouldRouteIt() throws Exception {
        BlockingQueue<Return> returns = new LinkedBlockingQueue<>();
        Channel publisher = conn.createChannel();
        publisher.addReturnListener(returns::add);
        publisher.confirmSelect();

        publisher.basicPublish("delayed", "job", true, delay(5000), "has a queue".getBytes(StandardCharsets.UTF_8));
        publisher.basicPublish("delayed", "nobody", true, delay(5000), "has none".getBytes(StandardCharsets.UTF_8));
        publisher.waitForConfirmsOrDie(5_000);

        // Returns come before the confirm, so they are all here by now.
        assertThat(returns).hasSize(1);
        Return r = returns.poll();
        assertThat(r.getReplyCode()).isEqualTo(312);
        assertThat(r.getReplyText()).isEqualTo("NO_ROUTE");
        assertThat(r.getRoutingKey()).isEqualTo("nobody");
        assertThat(new String(r.getBody(), StandardCharsets.UTF_8)).isEqualTo("has none");
    }

    @Test
    void transactionalPublishesAreScheduledWhenCommitted() throws Exception {
        TimedConsumer jobs = TimedConsumer.on(conn.createChannel(), "jobs");
        Channel tx = conn.createChannel();
        tx.txSelect();
        tx.basicPublish("delayed", "job", delay(300), "in a transaction".getBytes(StandardCharsets.UTF_8));
        assertThat(broker.broker().vhost().delayedMessages().scheduled()).as("before commit").isZero();

        long committed = System.currentTimeMillis();
        tx.txCommit();

        Arrival a = jobs.next();
        assertThat(a.text()).isEqualTo("in a transaction");
        assertThat(a.atMillis() - committed).isGreaterThanOrEqualTo(300);
    }

    @Test
    void aMessageWhoseExchangeWasDeletedMeanwhileIsDropped() throws Exception {
        publish("delayed", "job", delay(300), "orphan");
        ch.exchangeDelete("delayed");

        await().atMost(Duration.ofSeconds(5)).until(() -> broker.broker().vhost().delayedMessages().scheduled() == 0);
        assertThat(ch.messageCount("jobs")).isZero();
    }

    @Test
    void manyMessagesWithRandomDelaysEachArriveOnTimeAndOnce() throws Exception {
        TimedConsumer jobs = TimedConsumer.on(conn.createChannel(), "jobs");
        int n = 2000;
        java.util.Random random = new java.util.Random(42);
        Map<String, Long> dueAt = new HashMap<>();
        for (int i = 0; i < n; i++) {
            int d = 1 + random.nextInt(2500);
            dueAt.put("m" + i, System.currentTimeMillis() + d);
            publish("delayed", "job", delay(d), "m" + i);
        }

        await().atMost(Duration.ofSeconds(20)).until(() -> jobs.count() >= n);
        assertThat(jobs.texts()).hasSize(n).doesNotHaveDuplicates();
        for (Arrival a : jobs.all()) {
            assertThat(a.atMillis()).as(a.text()).isGreaterThanOrEqualTo(dueAt.get(a.text()));
        }
    }

    static List<Object[]> badDelayedTypes() {
        Map<String, Object> missing = new HashMap<>();
        return List.of(
                new Object[] {"missing", missing,
                        "Invalid argument, 'x-delayed-type' must be an existing exchange type"},
                new Object[] {"unknown", delayedType("nosuchtype"),
                        "Invalid argument, 'x-delayed-type' must be an existing exchange type"},
                new Object[] {"not a string", new HashMap<>(Map.of("x-delayed-type", 5)),
                        "Invalid argument, 'x-delayed-type' must be an existing exchange type"},
                new Object[] {"itself", delayedType("x-delayed-message"),
                        "Invalid argument, 'x-delayed-message' can't be used for 'x-delayed-type'"});
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("badDelayedTypes")
    void aMissingOrUnusableXDelayedTypeIsRefusedWith406NamingIt(String what, Map<String, Object> args, String text)
            throws Exception {
        assertClose(channelError(() -> ch.exchangeDeclare("bad", "x-delayed-message", false, false, args)),
                406, text);

        Channel other = conn.createChannel();
        assertClose(channelError(() -> other.exchangeDeclarePassive("bad")), 404, "no exchange 'bad'");
    }

    @Test
    void redeclaringWithTheSameDelayedTypeIsFineAndWithAnotherIsInequivalent() throws Exception {
        ch.exchangeDeclare("delayed", "x-delayed-message", false, false, delayedType("direct"));

        assertClose(channelError(() -> ch.exchangeDeclare("delayed", "x-delayed-message", false, false,
                delayedType("topic"))), 406, "inequivalent arg 'x-delayed-type' for exchange 'delayed'");
    }

    @Test
    void delayedMessagesReachAPriorityQueueWithTheirPriorityAndWaitTheirTurnByIt() throws Exception {
        ch.queueDeclare("by-priority", false, false, false, Map.of("x-max-priority", 10));
        ch.queueBind("by-priority", "delayed", "urgent-or-not");
        AMQP.BasicProperties low = delay(300).builder().priority(1).build();
        AMQP.BasicProperties high = delay(600).builder().priority(9).build();
        ch.basicPublish("", "by-priority", new AMQP.BasicProperties.Builder().priority(5).build(),
                "mid, not delayed".getBytes(StandardCharsets.UTF_8));
        publish("delayed", "urgent-or-not", low, "low, due first");
        publish("delayed", "urgent-or-not", high, "high, due last");
        assertThat(ch.messageCount("by-priority")).as("before any is due").isEqualTo(1);

        await().atMost(Duration.ofSeconds(5)).until(() -> ch.messageCount("by-priority") == 3);

        List<String> order = new java.util.ArrayList<>();
        List<Integer> priorities = new java.util.ArrayList<>();
        for (int i = 0; i < 3; i++) {
            GetResponse r = ch.basicGet("by-priority", true);
            order.add(new String(r.getBody(), StandardCharsets.UTF_8));
            priorities.add(r.getProps().getPriority());
        }
        assertThat(order).containsExactly("high, due last", "mid, not delayed", "low, due first");
        assertThat(priorities).containsExactly(9, 5, 1);
    }

    @Test
    void theManagementApiCountsTheMessagesEachDelayedExchangeHolds() throws Exception {
        ch.exchangeDeclare("later", "x-delayed-message", false, false, delayedType("fanout"));
        for (int i = 0; i < 3; i++) {
            publish("delayed", "job", delay(60_000), "in a minute " + i);
        }
        publish("later", "", delay(60_000), "in a minute too");
        publish("delayed", "job", null, "not delayed");
        Channel sync = conn.createChannel();
        sync.exchangeDeclarePassive("delayed");

        JsonNode exchanges = managementGet("/api/exchanges");
        assertThat(exchange(exchanges, "delayed").get("messages_delayed").asLong()).isEqualTo(3);
        assertThat(exchange(exchanges, "delayed").get("type").asText()).isEqualTo("x-delayed-message");
        assertThat(exchange(exchanges, "delayed").get("arguments").get("x-delayed-type").asText()).isEqualTo("direct");
        assertThat(exchange(exchanges, "later").get("messages_delayed").asLong()).isEqualTo(1);
        assertThat(exchange(exchanges, "amq.direct").has("messages_delayed")).as("a plain exchange").isFalse();
        assertThat(managementGet("/api/overview").get("messages_delayed").asLong()).isEqualTo(4);
    }

    private JsonNode managementGet(String path) throws Exception {
        HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + broker.broker().httpPort() + path))
                .timeout(Duration.ofSeconds(10)).GET().build();
        HttpResponse<String> r = HttpClient.newHttpClient().send(request, HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as("GET %s: %s", path, r.body()).isEqualTo(200);
        return new ObjectMapper().readTree(r.body());
    }

    private static JsonNode exchange(JsonNode exchanges, String name) {
        for (JsonNode x : exchanges) {
            if (x.get("name").asText().equals(name)) {
                return x;
            }
        }
        throw new AssertionError("no exchange '" + name + "' in " + exchanges);
    }
}
