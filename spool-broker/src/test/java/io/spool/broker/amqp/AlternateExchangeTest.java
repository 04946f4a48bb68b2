package io.spool.broker.amqp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.Return;
import io.spool.broker.testing.TestBroker;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Alternate exchanges (RabbitMQ's {@code alternate-exchange} argument) and how they decide
 * whether a mandatory message comes back.
 */
class AlternateExchangeTest {

    @RegisterExtension
    final TestBroker broker = new TestBroker();

    private Connection conn;
    private Channel ch;
    private TopologyProbe probe;
    private final BlockingQueue<Return> returns = new LinkedBlockingQueue<>();

    @BeforeEach
    void connect() throws Exception {
        conn = broker.connect();
        ch = conn.createChannel();
        probe = new TopologyProbe(conn);
        ch.queueDeclare("main", false, false, false, null);
        ch.queueDeclare("unrouted", false, false, false, null);
    }

    private static Map<String, Object> ae(String name) {
        return Map.of("alternate-exchange", name);
    }

    /** Publishes mandatory on a confirming channel; returns arrive before the confirm. */
    private void publishMandatory(String exchange, String key, String body) throws Exception {
        Channel publisher = conn.createChannel();
        publisher.addReturnListener(returns::add);
        publisher.confirmSelect();
        publisher.basicPublish(exchange, key, true, null, body.getBytes(StandardCharsets.UTF_8));
        publisher.waitForConfirmsOrDie(5_000);
        publisher.close();
    }

    @Test
    void unroutableMessagesGoToTheAlternateExchangeAndAreNotReturned() throws Exception {
        ch.exchangeDeclare("catch-all", "fanout");
        ch.queueBind("unrouted", "catch-all", "");
        ch.exchangeDeclare("orders", "direct", false, false, ae("catch-all"));
        ch.queueBind("main", "orders", "new");

        publishMandatory("orders", "new", "routed");
        publishMandatory("orders", "old", "unroutable");

        assertThat(returns).isEmpty();
        assertThat(probe.drainBodies("main", "unrouted")).isEqualTo(Map.of(
                "main", List.of("routed"),
                "unrouted", List.of("unroutable")));
        // The alternate exchange routes with the original key.
        ch.exchangeDeclare("by-key", "direct");
        ch.exchangeDeclare("orders2", "direct", false, false, ae("by-key"));
        ch.queueBind("main", "by-key", "old");
        publishMandatory("orders2", "old", "same key");
        publishMandatory("orders2", "other", "no key");
        assertThat(probe.drainBodies("main")).containsEntry("main", List.of("same key"));
        assertThat(returns).extracting(Return::getRoutingKey).containsExactly("other");
    }

    @Test
    void aMandatoryMessageIsReturnedWhenTheAlternateExchangeRoutesNowhereEither() throws Exception {
        ch.exchangeDeclare("empty-ae", "fanout");
        ch.exchangeDeclare("x", "direct", false, false, ae("empty-ae"));

        publishMandatory("x", "k", "nowhere");

        Return r = returns.poll();
        assertThat(r).isNotNull();
        assertThat(r.getReplyCode()).isEqualTo(312);
        assertThat(r.getReplyText()).isEqualTo("NO_ROUTE");
        assertThat(r.getExchange()).isEqualTo("x");
        assertThat(r.getRoutingKey()).isEqualTo("k");
        assertThat(new String(r.getBody(), StandardCharsets.UTF_8)).isEqualTo("nowhere");
    }

    @Test
    void alternateExchangesChain() throws Exception {
        ch.exchangeDeclare("ae2", "fanout");
        ch.queueBind("unrouted", "ae2", "");
        ch.exchangeDeclare("ae1", "direct", false, false, ae("ae2"));
        ch.exchangeDeclare("x", "direct", false, false, ae("ae1"));

        publishMandatory("x", "k", "two hops");

        assertThat(returns).isEmpty();
        assertThat(probe.drainBodies("unrouted")).containsEntry("unrouted", List.of("two hops"));
    }

    @Test
    void cyclesOfAlternateExchangesEndAndTheMessageIsReturned() throws Exception {
        ch.exchangeDeclare("a", "direct", false, false, ae("b"));
        ch.exchangeDeclare("b", "direct", false, false, ae("a"));
        ch.exchangeDeclare("self", "direct", false, false, ae("self"));

        publishMandatory("a", "k", "cycle");
        publishMandatory("self", "k", "self");

        assertThat(returns).extracting(Return::getExchange).containsExactly("a", "self");
        assertThat(ch.isOpen()).isTrue();
        assertThat(conn.isOpen()).isTrue();
    }

    @Test
    void aCycleThroughAnAlternateExchangeStillDeliversOnce() throws Exception {
        ch.exchangeDeclare("a", "direct", false, false, ae("b"));
        ch.exchangeDeclare("b", "fanout", false, false, ae("a"));
        ch.exchangeBind("a", "b", "");
        ch.queueBind("main", "a", "k");

        publishMandatory("a", "other", "loops back to a, which matches nothing");
        publishMandatory("b", "k", "b routes to a, which matches");

        assertThat(returns).extracting(Return::getExchange).containsExactly("a");
        assertThat(probe.drainBodies("main"))
                .containsEntry("main", List.of("b routes to a, which matches"));
    }

    @Test
    void aMissingAlternateExchangeIsSkippedSilently() throws Exception {
        ch.exchangeDeclare("x", "direct", false, false, ae("does-not-exist"));
        ch.queueBind("main", "x", "k");

        publishMandatory("x", "k", "routed");
        publishMandatory("x", "other", "returned");

        assertThat(returns).extracting(Return::getRoutingKey).containsExactly("other");
        assertThat(probe.drainBodies("main")).containsEntry("main", List.of("routed"));

        // Declared later, it is used from then on.
        ch.exchangeDeclare("does-not-exist", "fanout");
        ch.queueBind("unrouted", "does-not-exist", "");
        publishMandatory("x", "other", "now caught");
        assertThat(probe.drainBodies("unrouted")).containsEntry("unrouted", List.of("now caught"));
        assertThat(returns).hasSize(1);
    }

    @Test
    void theAlternateExchangeIsConsultedOnlyByTheExchangeWhoseOwnRoutingFoundNothing() throws Exception {
        // front -> inner (exchange binding). front matches, so only inner's AE can be used.
        ch.exchangeDeclare("front-ae", "fanout");
        ch.exchangeDeclare("inner-ae", "fanout");
        ch.queueDeclare("front-ae-q", false, false, false, null);
        ch.queueDeclare("inner-ae-q", false, false, false, null);
        ch.queueBind("front-ae-q", "front-ae", "");
        ch.queueBind("inner-ae-q", "inner-ae", "");
        ch.exchangeDeclare("front", "topic", false, false, ae("front-ae"));
        ch.exchangeDeclare("inner", "direct", false, false, ae("inner-ae"));
        ch.exchangeDeclare("plain-inner", "direct");
        ch.exchangeBind("inner", "front", "to.inner.*");
        ch.exchangeBind("plain-inner", "front", "to.plain.*");
        ch.queueBind("main", "inner", "to.inner.match");

        publishMandatory("front", "to.inner.match", "inner matches");
        publishMandatory("front", "to.inner.miss", "inner misses");
        publishMandatory("front", "to.plain.miss", "plain inner misses, no AE there");
        publishMandatory("front", "elsewhere", "front misses");

        assertThat(probe.drainBodies("main", "inner-ae-q", "front-ae-q")).isEqualTo(Map.of(
                "main", List.of("inner matches"),
                "inner-ae-q", List.of("inner misses"),
                "front-ae-q", List.of("front misses")));
        assertThat(returns).extracting(Return::getRoutingKey).containsExactly("to.plain.miss");
    }

    @Test
    void anAlternateExchangeMayBeInternal() throws Exception {
        ch.exchangeDeclare("hidden", "fanout", false, false, true, null);
        ch.queueBind("unrouted", "hidden", "");
        ch.exchangeDeclare("x", "direct", false, false, ae("hidden"));

        publishMandatory("x", "k", "into internal");

        assertThat(returns).isEmpty();
        assertThat(probe.drainBodies("unrouted")).containsEntry("unrouted", List.of("into internal"));
    }

    @Test
    void theDefaultExchangeHasNoAlternateAndReturnsUnroutableMandatoryMessages() throws Exception {
        publishMandatory("", "no-such-queue", "returned");
        publishMandatory("", "main", "delivered");

        assertThat(returns).extracting(Return::getExchange, Return::getRoutingKey, Return::getReplyCode)
                .containsExactly(tuple("", "no-such-queue", 312));
        assertThat(probe.drainBodies("main")).containsEntry("main", List.of("delivered"));
    }

    @Test
    void nonMandatoryUnroutableMessagesAreDroppedSilently() throws Exception {
        ch.exchangeDeclare("x", "direct");
        probe.publish("x", "k", false, null, "dropped");
        assertThat(returns).isEmpty();
        assertThat(ch.isOpen()).isTrue();
    }
}
