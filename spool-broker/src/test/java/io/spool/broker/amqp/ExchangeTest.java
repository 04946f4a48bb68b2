package io.spool.broker.amqp;

import static io.spool.broker.amqp.AmqpFailures.assertClose;
import static io.spool.broker.amqp.AmqpFailures.channelError;
import static io.spool.broker.amqp.AmqpFailures.closedChannel;
import static org.assertj.core.api.Assertions.assertThat;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.BuiltinExchangeType;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import io.spool.broker.testing.TestBroker;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Exchange declaration, deletion and exchange-to-exchange bindings, as RabbitMQ does them. */
class ExchangeTest {

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
    }

    // ---- declare ----

    @ParameterizedTest
    @CsvSource({"amq.direct, direct", "amq.fanout, fanout", "amq.topic, topic", "amq.headers, headers",
            "amq.match, headers"})
    void builtInExchangesExistFromTheStartAsDurableExchangesOfTheirType(String name, String type) throws Exception {
        ch.exchangeDeclarePassive(name);
        ch.exchangeDeclare(name, type, true);

        AMQP.Channel.Close close = channelError(() -> conn.createChannel().exchangeDeclare(name, type, false));
        assertClose(close, 406, "inequivalent arg 'durable' for exchange '" + name
                + "' in vhost '/': received 'false' but current is 'true'");
    }

    @Test
    void declaresExchangesWithEachFlagAndFindsThemPassively() throws Exception {
        ch.exchangeDeclare("plain", BuiltinExchangeType.DIRECT);
        ch.exchangeDeclare("durable", BuiltinExchangeType.FANOUT, true);
        ch.exchangeDeclare("auto", BuiltinExchangeType.TOPIC, false, true, null);
        ch.exchangeDeclare("internal", BuiltinExchangeType.HEADERS, false, false, true, null);

        for (String name : List.of("plain", "durable", "auto", "internal")) {
            assertThat(ch.exchangeDeclarePassive(name)).isNotNull();
        }
        // Passive declare ignores type and flags.
        ch.rpc(new AMQP.Exchange.Declare.Builder().exchange("durable").type("topic").passive(true)
                .internal(true).build());
    }

    @Test
    void redeclaringWithTheSamePropertiesIsFineAndArgumentsOtherThanTheAlternateExchangeAreIgnored()
            throws Exception {
        ch.exchangeDeclare("x", "topic", true, false, Map.of("alternate-exchange", "ae", "x-foo", 1));
        ch.exchangeDeclare("x", "topic", true, false, Map.of("alternate-exchange", "ae", "x-foo", "other"));
        ch.exchangeDeclare("x", "topic", true, false, Map.of("alternate-exchange", "ae"));
        assertThat(ch.isOpen()).isTrue();
    }

    @ParameterizedTest
    @CsvSource({
        "topic, true, false, false, type, topic, direct",
        "direct, false, false, false, durable, false, true",
        "direct, true, true, false, auto_delete, true, false",
        "direct, true, false, true, internal, true, false"})
    void redeclaringWithADifferentPropertyClosesTheChannel(String type, boolean durable, boolean autoDelete,
                                                           boolean internal, String field, String received,
                                                           String current) throws Exception {
        ch.exchangeDeclare("x", "direct", true, false, false, null);

        AMQP.Channel.Close close = channelError(
                () -> ch.exchangeDeclare("x", type, durable, autoDelete, internal, null));

        assertClose(close, 406, "PRECONDITION_FAILED - inequivalent arg '" + field
                + "' for exchange 'x' in vhost '/': received '" + received + "' but current is '" + current + "'");
        assertThat(conn.isOpen()).isTrue();
    }

    @Test
    void redeclaringWithADifferentAlternateExchangeClosesTheChannel() throws Exception {
        ch.exchangeDeclare("x", "direct", false, false, Map.of("alternate-exchange", "ae1"));

        assertClose(channelError(() -> conn.createChannel().exchangeDeclare("x", "direct", false, false,
                        Map.of("alternate-exchange", "ae2"))),
                406, "inequivalent arg 'alternate-exchange' for exchange 'x' in vhost '/': "
                        + "received 'ae2' but current is 'ae1'");
        assertClose(channelError(() -> conn.createChannel().exchangeDeclare("x", "direct", false, false, null)),
                406, "inequivalent arg 'alternate-exchange' for exchange 'x' in vhost '/': "
                        + "received none but current is the value 'ae1' of type 'longstr'");

        ch.exchangeDeclare("y", "direct", false, false, null);
        assertClose(channelError(() -> conn.createChannel().exchangeDeclare("y", "direct", false, false,
                        Map.of("alternate-exchange", "ae"))),
                406, "inequivalent arg 'alternate-exchange' for exchange 'y' in vhost '/': "
                        + "received the value 'ae' of type 'longstr' but current is none");
    }

    @Test
    void alternateExchangeArgumentMustBeAString() {
        assertClose(channelError(() -> ch.exchangeDeclare("x", "direct", false, false,
                        Map.of("alternate-exchange", 5))),
                406, "invalid type 'signedint' for arg 'alternate-exchange' in exchange 'x' in vhost '/'");
    }

    @Test
    void unknownTypeIsRefusedEvenForAnExistingExchange() throws Exception {
        assertClose(channelError(() -> ch.exchangeDeclare("x", "nosuchtype")),
                406, "PRECONDITION_FAILED - unknown exchange type 'nosuchtype'");

        Channel other = conn.createChannel();
        assertClose(channelError(() -> other.exchangeDeclare("amq.direct", "nosuchtype", true)),
                406, "unknown exchange type 'nosuchtype'");
    }

    @Test
    void passiveDeclareOfAMissingExchangeIsNotFound() {
        assertClose(channelError(() -> ch.exchangeDeclarePassive("nope")),
                404, "NOT_FOUND - no exchange 'nope' in vhost '/'");
    }

    @Test
    void newExchangeNamesMayNotUseTheAmqPrefixButBuiltInsMayBeRedeclared() throws Exception {
        assertClose(channelError(() -> ch.exchangeDeclare("amq.custom", "direct")),
                403, "ACCESS_REFUSED - exchange name 'amq.custom' contains reserved prefix 'amq.*'");

        Channel other = conn.createChannel();
        other.exchangeDeclare("amq.direct", "direct", true);
        other.exchangeDeclare("amq.topic", "topic", true, false, null);
        assertThat(probe.exchangeExists("amq.custom")).isFalse();
    }

    @Test
    void systemExchangesCannotBeDeletedWhetherTheyExistOrNot() throws Exception {
        assertClose(channelError(() -> ch.exchangeDelete("amq.direct")),
                403, "ACCESS_REFUSED - deletion of system exchange 'amq.direct' in vhost '/' not allowed");
        assertClose(channelError(() -> conn.createChannel().exchangeDelete("amq.nothing")),
                403, "deletion of system exchange 'amq.nothing' in vhost '/' not allowed");
        assertThat(probe.exchangeExists("amq.direct")).isTrue();
    }

    @Test
    void theDefaultExchangeCannotBeDeclaredDeletedOrBound() throws Exception {
        String q = ch.queueDeclare().getQueue();
        ch.exchangeDeclare("x", "direct");
        String text = "ACCESS_REFUSED - operation not permitted on the default exchange";

        assertClose(channelError(() -> conn.createChannel().exchangeDeclare("", "direct", true)), 403, text);
        assertClose(channelError(() -> conn.createChannel().exchangeDeclarePassive("")), 403, text);
        assertClose(channelError(() -> conn.createChannel().exchangeDelete("")), 403, text);
        assertClose(channelError(() -> conn.createChannel().queueBind(q, "", "k")), 403, text);
        assertClose(channelError(() -> conn.createChannel().queueUnbind(q, "", q)), 403, text);
        assertClose(channelError(() -> conn.createChannel().exchangeBind("x", "", "k")), 403, text);
        assertClose(channelError(() -> conn.createChannel().exchangeBind("", "x", "k")), 403, text);
        assertClose(channelError(() -> conn.createChannel().exchangeUnbind("x", "", "k")), 403, text);

        // Publishing through it is what it is for.
        probe.publish("", q, null, "via default");
        assertThat(probe.drainBodies(q)).containsEntry(q, List.of("via default"));
    }

    // ---- delete ----

    @Test
    void deleteIfUnusedRefusesAnExchangeThatIsTheSourceOfABinding() throws Exception {
        ch.exchangeDeclare("src", "fanout");
        ch.exchangeDeclare("dst", "fanout");
        String q = ch.queueDeclare().getQueue();
        ch.queueBind(q, "src", "");

        assertClose(channelError(() -> ch.exchangeDelete("src", true)),
                406, "PRECONDITION_FAILED - exchange 'src' in vhost '/' in use");
        assertThat(probe.exchangeExists("src")).isTrue();

        // Being the destination of a binding is not being used.
        Channel other = conn.createChannel();
        other.exchangeBind("dst", "amq.fanout", "");
        other.exchangeDelete("dst", true);
        assertThat(probe.exchangeExists("dst")).isFalse();

        // Without if-unused the bindings go with it.
        other.exchangeDelete("src");
        assertThat(probe.exchangeExists("src")).isFalse();
        other.exchangeDeclare("src", "fanout");
        probe.publish("src", "", null, "after recreate");
        assertThat(probe.drainBodies(q).get(q)).isEmpty();
    }

    @Test
    void deletingAMissingExchangeIsFine() throws Exception {
        ch.exchangeDelete("never-declared");
        ch.exchangeDelete("never-declared", true);
        assertThat(ch.isOpen()).isTrue();
    }

    // ---- exchange-to-exchange bindings ----

    @Test
    void exchangeToExchangeBindingsRouteAlongAChainAndUnbindStopsThem() throws Exception {
        ch.exchangeDeclare("a", "topic");
        ch.exchangeDeclare("b", "direct");
        ch.exchangeDeclare("c", "fanout");
        String q = ch.queueDeclare().getQueue();
        ch.exchangeBind("b", "a", "orders.*");
        ch.exchangeBind("c", "b", "orders.new");
        ch.queueBind(q, "c", "");

        probe.publish("a", "orders.new", null, "through the chain");
        probe.publish("a", "orders.old", null, "stops at b");
        probe.publish("a", "invoices.new", null, "stops at a");
        assertThat(probe.drainBodies(q)).containsEntry(q, List.of("through the chain"));

        ch.exchangeUnbind("c", "b", "orders.new");
        probe.publish("a", "orders.new", null, "after unbind");
        assertThat(probe.drainBodies(q).get(q)).isEmpty();

        // Unbinding again, or unbinding what never existed, is fine.
        ch.exchangeUnbind("c", "b", "orders.new");
        ch.exchangeUnbind("c", "nope", "k");
        ch.exchangeUnbind("nope", "c", "k");
        assertThat(ch.isOpen()).isTrue();
    }

    @Test
    void cyclesOfExchangeBindingsDeliverOnceAndDoNotLoop() throws Exception {
        ch.exchangeDeclare("a", "fanout");
        ch.exchangeDeclare("b", "fanout");
        ch.exchangeDeclare("c", "fanout");
        String qa = ch.queueDeclare().getQueue();
        String qc = ch.queueDeclare().getQueue();
        ch.exchangeBind("b", "a", "");
        ch.exchangeBind("c", "b", "");
        ch.exchangeBind("a", "c", "");
        ch.exchangeBind("a", "a", "");
        ch.queueBind(qa, "a", "");
        ch.queueBind(qc, "c", "");

        for (String entry : List.of("a", "b", "c")) {
            probe.publish(entry, "", null, "into " + entry);
        }

        assertThat(probe.drainBodies(qa, qc)).isEqualTo(Map.of(
                qa, List.of("into a", "into b", "into c"),
                qc, List.of("into a", "into b", "into c")));
    }

    @Test
    void bindingTheSameExchangeBindingTwiceIsOneBinding() throws Exception {
        ch.exchangeDeclare("a", "direct");
        ch.exchangeDeclare("b", "fanout");
        String q = ch.queueDeclare().getQueue();
        ch.exchangeBind("b", "a", "k");
        ch.exchangeBind("b", "a", "k");
        ch.queueBind(q, "b", "");
        ch.queueBind(q, "b", "");

        probe.publish("a", "k", null, "once");
        assertThat(probe.drainBodies(q)).containsEntry(q, List.of("once"));

        ch.exchangeUnbind("b", "a", "k");
        probe.publish("a", "k", null, "gone");
        assertThat(probe.drainBodies(q).get(q)).isEmpty();
    }

    @Test
    void exchangeBindWithAMissingEndIsNotFoundReportingTheSourceFirst() throws Exception {
        ch.exchangeDeclare("present", "direct");
        assertClose(channelError(() -> conn.createChannel().exchangeBind("present", "missing-src", "k")),
                404, "NOT_FOUND - no exchange 'missing-src' in vhost '/'");
        assertClose(channelError(() -> conn.createChannel().exchangeBind("missing-dst", "present", "k")),
                404, "NOT_FOUND - no exchange 'missing-dst' in vhost '/'");
        assertClose(channelError(() -> conn.createChannel().exchangeBind("missing-dst", "missing-src", "k")),
                404, "no exchange 'missing-src' in vhost '/'");
    }

    // ---- auto-delete ----

    @Test
    void autoDeleteExchangeGoesWhenItsLastBindingIsRemovedButNotBeforeItHadOne() throws Exception {
        ch.exchangeDeclare("auto", "direct", false, true, null);
        String q1 = ch.queueDeclare().getQueue();
        String q2 = ch.queueDeclare().getQueue();
        assertThat(probe.exchangeExists("auto")).isTrue();

        ch.queueBind(q1, "auto", "k1");
        ch.queueBind(q2, "auto", "k2");
        ch.queueUnbind(q1, "auto", "k1");
        assertThat(probe.exchangeExists("auto")).isTrue();

        ch.queueUnbind(q2, "auto", "k2");
        assertThat(probe.exchangeExists("auto")).isFalse();
    }

    @Test
    void autoDeleteExchangeGoesWhenTheDestinationOfItsLastBindingIsDeleted() throws Exception {
        ch.exchangeDeclare("auto-q", "fanout", false, true, null);
        ch.exchangeDeclare("auto-x", "fanout", false, true, null);
        ch.exchangeDeclare("target", "fanout");
        String q = ch.queueDeclare().getQueue();
        ch.queueBind(q, "auto-q", "");
        ch.exchangeBind("target", "auto-x", "");
        // Being the destination of a binding does not keep an auto-delete exchange alive,
        // and losing such a binding does not delete it.
        ch.exchangeBind("auto-x", "amq.fanout", "");
        ch.exchangeUnbind("auto-x", "amq.fanout", "");
        assertThat(probe.exchangeExists("auto-x")).isTrue();

        ch.queueDelete(q);
        ch.exchangeDelete("target");

        assertThat(probe.exchangeExists("auto-q")).isFalse();
        assertThat(probe.exchangeExists("auto-x")).isFalse();
    }

    // ---- publishing ----

    @Test
    void publishingToAMissingExchangeClosesOnlyTheChannel() throws Exception {
        Channel publisher = conn.createChannel();
        publisher.basicPublish("nowhere", "k", null, "lost".getBytes(StandardCharsets.UTF_8));

        assertClose(closedChannel(publisher), 404, "NOT_FOUND - no exchange 'nowhere' in vhost '/'");
        assertThat(conn.isOpen()).isTrue();
        assertThat(ch.isOpen()).isTrue();
        String q = ch.queueDeclare().getQueue();
        probe.publish("", q, null, "still works");
        assertThat(probe.drainBodies(q)).containsEntry(q, List.of("still works"));
    }

    @Test
    void publishingToAnInternalExchangeIsRefusedButBindingsMayRouteIntoIt() throws Exception {
        ch.exchangeDeclare("inside", "fanout", false, false, true, null);
        ch.exchangeDeclare("front", "direct");
        String q = ch.queueDeclare().getQueue();
        ch.queueBind(q, "inside", "");
        ch.exchangeBind("inside", "front", "k");

        Channel publisher = conn.createChannel();
        publisher.basicPublish("inside", "", null, "direct".getBytes(StandardCharsets.UTF_8));
        assertClose(closedChannel(publisher), 403,
                "ACCESS_REFUSED - cannot publish to internal exchange 'inside' in vhost '/'");

        probe.publish("front", "k", null, "via binding");
        assertThat(probe.drainBodies(q)).containsEntry(q, List.of("via binding"));
        assertThat(conn.isOpen()).isTrue();
    }

    @Test
    void aDeletedExchangeNoLongerRoutesAndCanBeDeclaredAgainWithOtherProperties() throws Exception {
        ch.exchangeDeclare("x", "direct", true);
        String q = ch.queueDeclare().getQueue();
        ch.queueBind(q, "x", "k");
        ch.exchangeDelete("x");

        Channel publisher = conn.createChannel();
        publisher.basicPublish("x", "k", null, "gone".getBytes(StandardCharsets.UTF_8));
        assertClose(closedChannel(publisher), 404, "no exchange 'x' in vhost '/'");

        ch.exchangeDeclare("x", "fanout", false);
        probe.publish("x", "k", null, "fresh");
        assertThat(probe.drainBodies(q).get(q)).isEmpty();
        assertThat(conn.isOpen()).isTrue();
    }
}
