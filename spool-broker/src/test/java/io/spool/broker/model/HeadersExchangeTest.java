package io.spool.broker.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The headers exchange's matching, driven through a virtual host without any protocol. */
class HeadersExchangeTest {

    @org.junit.jupiter.api.extension.RegisterExtension
    final io.spool.broker.testing.TestVirtualHost vhosts = new io.spool.broker.testing.TestVirtualHost();

    private VirtualHost vhost;
    private Exchange headers;
    private Queue q;
    private final RoutingResult result = new RoutingResult();

    @BeforeEach
    void setUp() {
        vhost = vhosts.vhost();
        headers = vhost.declareExchange("h", HeadersExchange.TYPE, false, false, false, Map.of());
        q = vhost.declareQueue("q", false, false, false, Map.of(), null).queue();
    }

    /** A table from alternating names and values; values may be null (void). */
    private static Map<String, Object> table(Object... kv) {
        Map<String, Object> m = new HashMap<>();
        for (int i = 0; i < kv.length; i += 2) {
            m.put((String) kv[i], kv[i + 1]);
        }
        return m;
    }

    private boolean routes(Map<String, Object> messageHeaders) {
        MessageProperties props = messageHeaders == null
                ? MessageProperties.EMPTY
                : new MessageProperties.Builder().headers(messageHeaders).build();
        vhost.route(headers, new Message("h", "", props, new byte[0]), result);
        return result.queues().contains(q);
    }

    private boolean matches(Map<String, Object> binding, Map<String, Object> messageHeaders) {
        vhost.bind("h", q, "", binding);
        try {
            return routes(messageHeaders);
        } finally {
            vhost.unbind("h", q, "", binding);
        }
    }

    @Test
    void allIsTheDefaultAndNeedsEveryBindingKey() {
        Map<String, Object> binding = table("a", "1", "b", "2");
        assertThat(matches(binding, table("a", "1", "b", "2", "c", "3"))).isTrue();
        assertThat(matches(binding, table("a", "1"))).isFalse();
        assertThat(matches(binding, table("a", "1", "b", "3"))).isFalse();
        assertThat(matches(binding, null)).isFalse();
        binding.put("x-match", "all");
        assertThat(matches(binding, table("a", "1", "b", "2"))).isTrue();
        assertThat(matches(binding, table("b", "2"))).isFalse();
    }

    @Test
    void anyNeedsOneBindingKey() {
        Map<String, Object> binding = table("x-match", "any", "a", "1", "b", "2");
        assertThat(matches(binding, table("b", "2"))).isTrue();
        assertThat(matches(binding, table("a", "2", "b", "1"))).isFalse();
        assertThat(matches(binding, null)).isFalse();
    }

    @Test
    void bindingsWithNothingToCompareMatchEveryMessageForAllAndNoneForAny() {
        assertThat(matches(table(), null)).isTrue();
        assertThat(matches(table(), table("k", 1))).isTrue();
        assertThat(matches(table("x-match", "all", "x-only", 1), table("k", 1))).isTrue();
        assertThat(matches(table("x-match", "any"), table("k", 1))).isFalse();
        assertThat(matches(table("x-match", "any", "x-only", 1), table("x-only", 1))).isFalse();
        assertThat(matches(table("x-match", "any-with-x"), table("k", 1))).isFalse();
        assertThat(matches(table("x-match", "all-with-x"), null)).isTrue();
    }

    @Test
    void bindingKeysStartingWithXCountOnlyInTheWithXModes() {
        Map<String, Object> message = table("x-tenant", "acme", "kind", "job");
        assertThat(matches(table("x-match", "all", "x-tenant", "other", "kind", "job"), message)).isTrue();
        assertThat(matches(table("x-match", "all-with-x", "x-tenant", "other", "kind", "job"), message)).isFalse();
        assertThat(matches(table("x-match", "all-with-x", "x-tenant", "acme", "kind", "job"), message)).isTrue();
        assertThat(matches(table("x-match", "any", "x-tenant", "acme"), message)).isFalse();
        assertThat(matches(table("x-match", "any-with-x", "x-tenant", "acme"), message)).isTrue();
        assertThat(matches(table("x-match", "any-with-x", "x-match-me", "no"), table("x-match-me", "no"))).isTrue();
        // Message headers starting with x- are always compared when the binding names them.
        assertThat(matches(table("kind", "job"), table("kind", "job", "x-ignored", 1))).isTrue();
    }

    @Test
    void aVoidBindingValueNeedsOnlyThePresenceOfTheHeader() {
        Map<String, Object> binding = table("trace", null);
        assertThat(matches(binding, table("trace", "anything"))).isTrue();
        assertThat(matches(binding, table("trace", 0))).isTrue();
        assertThat(matches(binding, table("trace", null))).isTrue();
        assertThat(matches(binding, table("other", null))).isFalse();
        // A void header does not equal a non-void binding value.
        assertThat(matches(table("trace", "on"), table("trace", null))).isFalse();
        assertThat(matches(table("x-match", "any", "trace", null, "k", 1), table("trace", 5))).isTrue();
    }

    @Test
    void integersCompareByValueWhateverTheirWidth() {
        for (Object bound : List.of((byte) 5, (short) 5, 5, 5L)) {
            for (Object sent : List.of((byte) 5, (short) 5, 5, 5L)) {
                assertThat(matches(table("n", bound), table("n", sent)))
                        .as("%s %s vs %s %s", bound.getClass().getSimpleName(), bound,
                                sent.getClass().getSimpleName(), sent)
                        .isTrue();
            }
        }
        assertThat(matches(table("n", 5), table("n", 6L))).isFalse();
        assertThat(matches(table("n", 1L << 40), table("n", (int) (1L << 40)))).isFalse();
    }

    @Test
    void valuesOfDifferentKindsNeverMatch() {
        assertThat(matches(table("n", 1), table("n", 1.0d))).isFalse();
        assertThat(matches(table("n", 1.0f), table("n", 1))).isFalse();
        assertThat(matches(table("n", 1.5f), table("n", 1.5d))).isTrue();
        assertThat(matches(table("n", true), table("n", 1))).isFalse();
        assertThat(matches(table("n", 1), table("n", "1"))).isFalse();
        assertThat(matches(table("n", true), table("n", true))).isTrue();
        assertThat(matches(table("n", false), table("n", true))).isFalse();
    }

    @Test
    void stringsAndByteArraysCompareByTheirBytes() {
        byte[] bytes = "café".getBytes(StandardCharsets.UTF_8);
        assertThat(matches(table("s", "café"), table("s", bytes))).isTrue();
        assertThat(matches(table("s", bytes.clone()), table("s", "café"))).isTrue();
        assertThat(matches(table("s", bytes.clone()), table("s", bytes.clone()))).isTrue();
        assertThat(matches(table("s", "cafe"), table("s", "café"))).isFalse();
        assertThat(matches(table("s", "Café"), table("s", "café"))).isFalse();
    }

    @Test
    void nestedTablesArraysAndDecimalsCompareByValue() {
        assertThat(matches(table("t", Map.of("a", 1)), table("t", Map.of("a", 1)))).isTrue();
        assertThat(matches(table("t", Map.of("a", 1)), table("t", Map.of("a", 2)))).isFalse();
        assertThat(matches(table("l", List.of("a", "b")), table("l", List.of("a", "b")))).isTrue();
        assertThat(matches(table("l", List.of("a", "b")), table("l", List.of("b", "a")))).isFalse();
        assertThat(matches(table("d", new BigDecimal("1.50")), table("d", new BigDecimal("1.50")))).isTrue();
    }

    @Test
    void xMatchIsValidatedWhenBinding() {
        assertThat(HeadersExchange.validateBindingArguments(null)).isNull();
        assertThat(HeadersExchange.validateBindingArguments(table("a", 1))).isNull();
        for (String mode : List.of("all", "any", "all-with-x", "any-with-x")) {
            assertThat(HeadersExchange.validateBindingArguments(table("x-match", mode))).as(mode).isNull();
        }
        assertThat(HeadersExchange.validateBindingArguments(table("x-match", "ALL")))
                .contains("Invalid x-match field value", "ALL", "expected all, any, all-with-x, or any-with-x");
        assertThat(HeadersExchange.validateBindingArguments(table("x-match", 1)))
                .isEqualTo("Invalid x-match field type signedint (value 1); expected longstr");
        assertThat(HeadersExchange.validateBindingArguments(table("x-match", null)))
                .startsWith("Invalid x-match field type void");

        assertThatThrownBy(() -> vhost.bind("h", q, "", table("x-match", "some")))
                .isInstanceOfSatisfying(BrokerException.class,
                        e -> assertThat(e.kind()).isEqualTo(ErrorKind.PRECONDITION_FAILED));
        assertThat(routes(table("anything", 1))).isFalse();
    }

    @Test
    void unbindRemovesOnlyTheBindingWithEqualArguments() {
        Queue other = vhost.declareQueue("other", false, false, false, Map.of(), null).queue();
        vhost.bind("h", q, "", table("k", 1));
        vhost.bind("h", other, "", table("k", 1));
        vhost.bind("h", q, "", table("k", 1));

        vhost.unbind("h", q, "", table("k", 2));
        assertThat(routes(table("k", 1))).isTrue();
        vhost.unbind("h", q, "", table("k", 1));
        assertThat(routes(table("k", 1))).isFalse();
        assertThat(result.queues()).containsExactly(other);
    }
}
