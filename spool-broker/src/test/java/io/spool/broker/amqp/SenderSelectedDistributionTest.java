package io.spool.broker.amqp;

import static io.spool.broker.amqp.AmqpFailures.assertClose;
import static io.spool.broker.amqp.AmqpFailures.closedChannel;
import static org.assertj.core.api.Assertions.assertThat;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.Delivery;
import com.rabbitmq.client.GetResponse;
import com.rabbitmq.client.Return;
import io.spool.broker.testing.TestBroker;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * RabbitMQ's sender-selected distribution: the {@code CC} and {@code BCC} headers carry extra
 * routing keys; {@code BCC} is removed before delivery.
 */
class SenderSelectedDistributionTest {

    @RegisterExtension
    final TestBroker broker = new TestBroker();

    private Connection conn;
    private Channel ch;
    private TopologyProbe probe;

    @BeforeEach
    void connect() throws Exception {
        conn = broker.connect();
        ch = conn.createChannel();
        probe = new TopologyProbe(conn);
        ch.exchangeDeclare("d", "direct");
        for (String key : List.of("a", "b", "c", "d")) {
            ch.queueDeclare("q" + key, false, false, false, null);
            ch.queueBind("q" + key, "d", key);
        }
    }

    private static AMQP.BasicProperties withHeaders(Object... kv) {
        Map<String, Object> headers = new LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) {
            headers.put((String) kv[i], kv[i + 1]);
        }
        return new AMQP.BasicProperties.Builder().headers(headers).build();
    }

    @Test
    void ccAndBccAddRoutingKeysAndOnlyBccIsRemovedFromTheDeliveredMessage() throws Exception {
        probe.publish("d", "a", withHeaders("CC", List.of("b"), "BCC", List.of("c"), "app", "kept"), "m");

        for (String q : List.of("qa", "qb", "qc")) {
            List<GetResponse> got = probe.drain(q);
            assertThat(got).as(q).hasSize(1);
            GetResponse r = got.get(0);
            assertThat(r.getEnvelope().getRoutingKey()).as("%s reports the original key", q).isEqualTo("a");
            assertThat(r.getEnvelope().getExchange()).isEqualTo("d");
            Map<String, Object> headers = r.getProps().getHeaders();
            assertThat(headers).as(q).containsOnlyKeys("CC", "app");
            assertThat((List<?>) headers.get("CC")).extracting(Object::toString).containsExactly("b");
            assertThat(headers.get("app").toString()).isEqualTo("kept");
        }
        assertThat(probe.drain("qd")).isEmpty();
    }

    @Test
    void consumersAlsoSeeTheOriginalRoutingKeyAndNoBcc() throws Exception {
        BlockingQueue<Delivery> deliveries = new LinkedBlockingQueue<>();
        Channel consumer = conn.createChannel();
        consumer.basicConsume("qc", true, (tag, d) -> deliveries.add(d), tag -> { });

        probe.publish("d", "a", withHeaders("BCC", List.of("c")), "secret copy");

        Delivery d = deliveries.poll(5, TimeUnit.SECONDS);
        assertThat(d).isNotNull();
        assertThat(d.getEnvelope().getRoutingKey()).isEqualTo("a");
        assertThat(d.getProperties().getHeaders()).doesNotContainKey("BCC");
        assertThat(new String(d.getBody(), StandardCharsets.UTF_8)).isEqualTo("secret copy");
    }

    @Test
    void aQueueReachedByTheKeyAndByCcAndBccGetsOneCopy() throws Exception {
        probe.publish("d", "a", withHeaders("CC", List.of("a", "b", "b"), "BCC", List.of("a", "b")), "m");
        assertThat(probe.receivers("qa", "qb", "qc", "qd")).containsExactly("qa", "qb");
    }

    @Test
    void elementsThatAreNotStringsAreSkipped() throws Exception {
        probe.publish("d", "none", withHeaders("CC", List.of(1, "b", true), "BCC", List.of(List.of("c"), "d")), "m");
        assertThat(probe.receivers("qa", "qb", "qc", "qd")).containsExactly("qb", "qd");
    }

    @Test
    void headerNamesAreCaseSensitive() throws Exception {
        probe.publish("d", "a", withHeaders("cc", List.of("b"), "Bcc", List.of("c")), "m");
        assertThat(probe.receivers("qa", "qb", "qc", "qd")).containsExactly("qa");
    }

    @Test
    void topicAndDefaultExchangesUseTheExtraKeysAndFanoutIgnoresThem() throws Exception {
        ch.exchangeDeclare("t", "topic");
        ch.queueBind("qa", "t", "orders.#");
        ch.queueBind("qb", "t", "*.invoices");
        probe.publish("t", "orders.new", withHeaders("CC", List.of("eu.invoices")), "m");
        assertThat(probe.receivers("qa", "qb", "qc", "qd")).containsExactly("qa", "qb");

        probe.publish("", "qc", withHeaders("CC", List.of("qd"), "BCC", List.of("qa", "missing")), "m");
        assertThat(probe.receivers("qa", "qb", "qc", "qd")).containsExactly("qa", "qc", "qd");

        ch.exchangeDeclare("f", "fanout");
        ch.queueBind("qa", "f", "");
        probe.publish("f", "x", withHeaders("CC", List.of("y", "z")), "m");
        assertThat(probe.receivers("qa", "qb", "qc", "qd")).containsExactly("qa");
    }

    @Test
    void ccKeysAlsoApplyAfterAnExchangeToExchangeBinding() throws Exception {
        ch.exchangeDeclare("front", "fanout");
        ch.exchangeBind("d", "front", "");
        probe.publish("front", "a", withHeaders("CC", List.of("c")), "m");
        assertThat(probe.receivers("qa", "qb", "qc", "qd")).containsExactly("qa", "qc");
    }

    @Test
    void aMandatoryMessageRoutedOnlyByCcIsNotReturnedAndOneRoutedNowhereReportsTheOriginalKey()
            throws Exception {
        BlockingQueue<Return> returns = new LinkedBlockingQueue<>();
        Channel publisher = conn.createChannel();
        publisher.addReturnListener(returns::add);
        publisher.confirmSelect();

        publisher.basicPublish("d", "nowhere", true, withHeaders("CC", List.of("b")), new byte[0]);
        publisher.basicPublish("d", "nowhere", true, withHeaders("CC", List.of("x"), "BCC", List.of("y")),
                new byte[0]);
        publisher.waitForConfirmsOrDie(5_000);

        assertThat(returns).hasSize(1);
        Return r = returns.poll();
        assertThat(r.getReplyCode()).isEqualTo(312);
        assertThat(r.getRoutingKey()).isEqualTo("nowhere");
        assertThat(probe.receivers("qa", "qb", "qc", "qd")).containsExactly("qb");
    }

    @Test
    void aCcHeaderThatIsNotAnArrayClosesTheChannel() throws Exception {
        Channel publisher = conn.createChannel();
        publisher.basicPublish("d", "a", withHeaders("CC", "b"), new byte[0]);

        assertClose(closedChannel(publisher), 406, "PRECONDITION_FAILED - invalid message", "CC", "longstr");
        assertThat(conn.isOpen()).isTrue();
        assertThat(probe.receivers("qa", "qb")).isEmpty();
    }

    @Test
    void aBccHeaderThatIsNotAnArrayClosesTheChannel() throws Exception {
        Channel publisher = conn.createChannel();
        publisher.basicPublish("d", "a", withHeaders("BCC", 7), new byte[0]);

        assertClose(closedChannel(publisher), 406, "PRECONDITION_FAILED - invalid message", "BCC", "signedint");
        assertThat(conn.isOpen()).isTrue();
        assertThat(probe.receivers("qa")).isEmpty();
    }
}
