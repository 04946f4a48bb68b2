package io.spool.broker.amqp;

import static io.spool.broker.amqp.AmqpFailures.assertClose;
import static io.spool.broker.amqp.AmqpFailures.channelError;
import static org.assertj.core.api.Assertions.assertThat;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import io.spool.broker.testing.TestBroker;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Which queues a message reaches through each exchange type, seen from a client. */
class RoutingTest {

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

    private void queues(String... names) throws Exception {
        for (String q : names) {
            ch.queueDeclare(q, false, false, false, null);
        }
    }

    private static AMQP.BasicProperties headers(Map<String, Object> headers) {
        return new AMQP.BasicProperties.Builder().headers(headers).build();
    }

    // ---- direct and fanout ----

    @Test
    void directRoutesByExactKeyToEveryQueueBoundWithIt() throws Exception {
        ch.exchangeDeclare("d", "direct");
        queues("q1", "q2", "q3", "q-empty");
        ch.queueBind("q1", "d", "red");
        ch.queueBind("q2", "d", "red");
        ch.queueBind("q3", "d", "Red");
        ch.queueBind("q-empty", "d", "");

        probe.publish("d", "red", null, "m");
        assertThat(probe.receivers("q1", "q2", "q3", "q-empty")).containsExactly("q1", "q2");
        probe.publish("d", "", null, "m");
        assertThat(probe.receivers("q1", "q2", "q3", "q-empty")).containsExactly("q-empty");
        probe.publish("d", "red.x", null, "m");
        assertThat(probe.receivers("q1", "q2", "q3", "q-empty")).isEmpty();
    }

    @Test
    void aQueueBoundWithSeveralKeysThatAllMatchGetsOneCopy() throws Exception {
        queues("q");
        ch.exchangeDeclare("t", "topic");
        ch.queueBind("q", "t", "a.*");
        ch.queueBind("q", "t", "*.b");
        ch.queueBind("q", "t", "#");
        ch.queueBind("q", "t", "a.b");
        ch.queueBind("q", "t", "a.#.b");

        probe.publish("t", "a.b", null, "once");
        assertThat(probe.drainBodies("q")).containsEntry("q", List.of("once"));
    }

    @Test
    void fanoutIgnoresTheRoutingKey() throws Exception {
        ch.exchangeDeclare("f", "fanout");
        queues("q1", "q2", "unbound");
        ch.queueBind("q1", "f", "");
        ch.queueBind("q2", "f", "some.key");

        probe.publish("f", "anything", null, "m");
        assertThat(probe.receivers("q1", "q2", "unbound")).containsExactly("q1", "q2");
    }

    @Test
    void theDefaultExchangeRoutesToTheQueueNamedByTheKey() throws Exception {
        queues("jobs", "other");
        probe.publish("", "jobs", null, "m");
        assertThat(probe.receivers("jobs", "other")).containsExactly("jobs");
        probe.publish("", "missing", null, "m");
        assertThat(probe.receivers("jobs", "other")).isEmpty();
    }

    // ---- topic ----

    @ParameterizedTest(name = "''{0}'' matches ''{1}'': {2}")
    @CsvSource(delimiter = '|', quoteCharacter = '"', value = {
        "a.*.c     | a.b.c     | true",
        "a.*.c     | a.c       | false",
        "a.*.c     | a.b.b.c   | false",
        "a.*       | a.        | true",
        "*         | \"\"        | false",
        "*         | .         | false",
        "*.*       | .         | true",
        "a.#       | a         | true",
        "a.#       | a.b.c     | true",
        "a.#       | ab        | false",
        "#         | \"\"        | true",
        "#         | a.b.c     | true",
        "#.#       | \"\"        | true",
        "#.a.#     | a         | true",
        "#.a.#     | x.a.y     | true",
        "#.a.#     | x.b.y     | false",
        "#.c       | a.b.c     | true",
        "#.c       | c         | true",
        "a.#.c     | a.c       | true",
        "a.#.c     | a.b.b.c   | true",
        "a.#.c     | a.b.b.d   | false",
        "\"\"        | \"\"        | true",
        "\"\"        | a         | false",
        "a..b      | a..b      | true",
        "a.*.b     | a..b      | true",
        "a.b       | a..b      | false",
        "a*        | ab        | false",
        "a*        | a*        | true",
        "a#        | a.b       | false",
        "a.b.c     | a.b.c     | true",
        "a.b.c     | a.b       | false",
        "#         | #.b       | true",
        "a.#       | a.#.x     | true",
        "*.#       | #         | true",
        "#.b       | #         | false"})
    void topicPatterns(String pattern, String routingKey, boolean matches) throws Exception {
        ch.exchangeDeclare("t", "topic");
        queues("q");
        ch.queueBind("q", "t", pattern);

        probe.publish("t", routingKey, null, "m");

        assertThat(probe.receivers("q")).hasSize(matches ? 1 : 0);
    }

    @Test
    void topicRoutesToEveryMatchingBindingAndUnbindRemovesOnlyThatPattern() throws Exception {
        ch.exchangeDeclare("t", "topic");
        queues("all", "stock", "usd", "nyse");
        ch.queueBind("all", "t", "#");
        ch.queueBind("stock", "t", "stock.#");
        ch.queueBind("usd", "t", "*.usd.*");
        ch.queueBind("nyse", "t", "stock.*.nyse");

        probe.publish("t", "stock.usd.nyse", null, "m");
        assertThat(probe.receivers("all", "stock", "usd", "nyse")).containsExactly("all", "stock", "usd", "nyse");
        probe.publish("t", "stock.eur", null, "m");
        assertThat(probe.receivers("all", "stock", "usd", "nyse")).containsExactly("all", "stock");

        ch.queueUnbind("stock", "t", "stock.#");
        ch.queueUnbind("all", "t", "#");
        probe.publish("t", "stock.usd.nyse", null, "m");
        assertThat(probe.receivers("all", "stock", "usd", "nyse")).containsExactly("usd", "nyse");
    }

    @Test
    void aTopicBindingKeyWithMoreThanTwoHashesIsRefused() throws Exception {
        ch.exchangeDeclare("t", "topic");
        queues("q");
        ch.queueBind("q", "t", "#.a.#");

        assertClose(channelError(() -> conn.createChannel().queueBind("q", "t", "#.a.#.b.#")),
                406, "PRECONDITION_FAILED - Topic binding key '#.a.#.b.#' uses 3 '#' wildcards, "
                        + "at most 2 are allowed");
        assertClose(channelError(() -> conn.createChannel().exchangeBind("amq.fanout", "t", "#.#.#")),
                406, "Topic binding key '#.#.#' uses 3 '#' wildcards");
        probe.publish("t", "x.a.y", null, "m");
        assertThat(probe.receivers("q")).containsExactly("q");
    }

    // ---- headers ----

    private void headersBinding(String queue, Map<String, Object> args) throws Exception {
        ch.queueBind(queue, "amq.headers", "", args);
    }

    private static Map<String, Object> table(Object... kv) {
        Map<String, Object> m = new HashMap<>();
        for (int i = 0; i < kv.length; i += 2) {
            m.put((String) kv[i], kv[i + 1]);
        }
        return m;
    }

    @Test
    void headersAllNeedsEveryKeyAndIsTheDefault() throws Exception {
        queues("all", "default");
        headersBinding("all", table("x-match", "all", "format", "pdf", "type", "report"));
        headersBinding("default", table("format", "pdf", "type", "report"));

        probe.publish("amq.headers", "", headers(table("format", "pdf", "type", "report", "extra", 1)), "m");
        assertThat(probe.receivers("all", "default")).containsExactly("all", "default");
        probe.publish("amq.headers", "", headers(table("format", "pdf")), "m");
        assertThat(probe.receivers("all", "default")).isEmpty();
        probe.publish("amq.headers", "", headers(table("format", "pdf", "type", "log")), "m");
        assertThat(probe.receivers("all", "default")).isEmpty();
        probe.publish("amq.headers", "", null, "m");
        assertThat(probe.receivers("all", "default")).isEmpty();
    }

    @Test
    void headersAnyNeedsOneKey() throws Exception {
        queues("any");
        headersBinding("any", table("x-match", "any", "format", "pdf", "type", "report"));

        probe.publish("amq.headers", "", headers(table("type", "report")), "m");
        assertThat(probe.receivers("any")).containsExactly("any");
        probe.publish("amq.headers", "", headers(table("format", "zip", "type", "log")), "m");
        assertThat(probe.receivers("any")).isEmpty();
        probe.publish("amq.headers", "", null, "m");
        assertThat(probe.receivers("any")).isEmpty();
    }

    @Test
    void headersWithNothingToCompareMatchEverythingForAllAndNothingForAny() throws Exception {
        queues("all-empty", "any-empty", "all-x-only");
        headersBinding("all-empty", table());
        headersBinding("any-empty", table("x-match", "any"));
        headersBinding("all-x-only", table("x-match", "all", "x-tag", "v"));

        probe.publish("amq.headers", "", headers(table("k", "v")), "m");
        assertThat(probe.receivers("all-empty", "any-empty", "all-x-only"))
                .containsExactly("all-empty", "all-x-only");
        probe.publish("amq.headers", "", null, "m");
        assertThat(probe.receivers("all-empty", "any-empty", "all-x-only"))
                .containsExactly("all-empty", "all-x-only");
    }

    @Test
    void xHeadersInABindingCountOnlyWithTheWithXModes() throws Exception {
        queues("all", "any", "all-with-x", "any-with-x");
        headersBinding("all", table("x-match", "all", "x-tenant", "acme", "kind", "job"));
        headersBinding("any", table("x-match", "any", "x-tenant", "acme"));
        headersBinding("all-with-x", table("x-match", "all-with-x", "x-tenant", "acme", "kind", "job"));
        headersBinding("any-with-x", table("x-match", "any-with-x", "x-tenant", "acme", "kind", "other"));
        String[] all = {"all", "any", "all-with-x", "any-with-x"};

        probe.publish("amq.headers", "", headers(table("kind", "job", "x-tenant", "other")), "m");
        assertThat(probe.receivers(all)).containsExactly("all");

        probe.publish("amq.headers", "", headers(table("kind", "job", "x-tenant", "acme")), "m");
        assertThat(probe.receivers(all)).containsExactly("all", "all-with-x", "any-with-x");

        probe.publish("amq.headers", "", headers(table("x-tenant", "acme")), "m");
        assertThat(probe.receivers(all)).containsExactly("any-with-x");
    }

    @Test
    void aVoidBindingValueAsksOnlyThatTheHeaderBePresent() throws Exception {
        queues("present", "valued");
        headersBinding("present", table("trace", null));
        headersBinding("valued", table("trace", "on"));

        probe.publish("amq.headers", "", headers(table("trace", 42)), "m");
        assertThat(probe.receivers("present", "valued")).containsExactly("present");
        probe.publish("amq.headers", "", headers(table("trace", null)), "m");
        assertThat(probe.receivers("present", "valued")).containsExactly("present");
        probe.publish("amq.headers", "", headers(table("trace", "on")), "m");
        assertThat(probe.receivers("present", "valued")).containsExactly("present", "valued");
        probe.publish("amq.headers", "", headers(table("other", 1)), "m");
        assertThat(probe.receivers("present", "valued")).isEmpty();
    }

    @Test
    void headerValuesCompareByValueAcrossIntegerWidthsButNotAcrossKinds() throws Exception {
        queues("int", "long", "double", "bool", "string");
        ch.exchangeDeclare("h", "headers");
        ch.queueBind("int", "h", "", table("n", 5));
        ch.queueBind("long", "h", "", table("n", 5L));
        ch.queueBind("double", "h", "", table("n", 5.0d));
        ch.queueBind("bool", "h", "", table("flag", true));
        ch.queueBind("string", "h", "", table("n", "5"));
        String[] all = {"int", "long", "double", "bool", "string"};

        for (Object five : List.of(5, 5L, (short) 5, (byte) 5)) {
            probe.publish("h", "", headers(table("n", five)), "m");
            assertThat(probe.receivers(all)).as("header n = %s %s", five.getClass().getSimpleName(), five)
                    .containsExactly("int", "long");
        }
        probe.publish("h", "", headers(table("n", 5.0d)), "m");
        assertThat(probe.receivers(all)).containsExactly("double");
        probe.publish("h", "", headers(table("n", "5", "flag", 1)), "m");
        assertThat(probe.receivers(all)).containsExactly("string");
        probe.publish("h", "", headers(table("flag", true)), "m");
        assertThat(probe.receivers(all)).containsExactly("bool");
        // A byte array equals a string with the same bytes.
        probe.publish("h", "", headers(table("n", new byte[] {'5'})), "m");
        assertThat(probe.receivers(all)).containsExactly("string");
    }

    @Test
    void anInvalidXMatchIsRefusedWhenBinding() throws Exception {
        queues("q");
        assertClose(channelError(() -> conn.createChannel().queueBind("q", "amq.match", "", table("x-match", "most"))),
                406, "PRECONDITION_FAILED - Invalid x-match field value", "most",
                "expected all, any, all-with-x, or any-with-x");
        assertClose(channelError(() -> conn.createChannel().queueBind("q", "amq.match", "", table("x-match", 1))),
                406, "PRECONDITION_FAILED - Invalid x-match field type signedint (value 1); expected longstr");
        // Other exchange types do not look at x-match.
        ch.queueBind("q", "amq.direct", "k", table("x-match", "most"));
        assertThat(ch.isOpen()).isTrue();
    }

    @Test
    void unbindingAHeadersBindingNeedsTheSameArguments() throws Exception {
        queues("q");
        headersBinding("q", table("x-match", "any", "a", 1));
        headersBinding("q", table("x-match", "any", "b", 1));

        ch.queueUnbind("q", "amq.headers", "", table("x-match", "any", "a", 2));
        probe.publish("amq.headers", "", headers(table("a", 1)), "m");
        assertThat(probe.receivers("q")).containsExactly("q");

        ch.queueUnbind("q", "amq.headers", "", table("x-match", "any", "a", 1));
        probe.publish("amq.headers", "", headers(table("a", 1)), "m");
        assertThat(probe.receivers("q")).isEmpty();
        probe.publish("amq.headers", "", headers(table("b", 1)), "m");
        assertThat(probe.receivers("q")).containsExactly("q");
    }
}
