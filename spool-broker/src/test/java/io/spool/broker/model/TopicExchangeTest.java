package io.spool.broker.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import java.time.Duration;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The topic exchange's matching, driven through a virtual host without any protocol. */
class TopicExchangeTest {

    @org.junit.jupiter.api.extension.RegisterExtension
    final io.spool.broker.testing.TestVirtualHost vhosts = new io.spool.broker.testing.TestVirtualHost();

    private VirtualHost vhost;
    private Exchange topic;
    private final RoutingResult result = new RoutingResult();

    @BeforeEach
    void setUp() {
        vhost = vhosts.vhost();
        topic = vhost.declareExchange("t", TopicExchange.TYPE, false, false, false, Map.of());
    }

    private Queue queue(String name) {
        return vhost.declareQueue(name, false, false, false, Map.of(), null).queue();
    }

    private List<String> route(String routingKey) {
        vhost.route(topic, new Message("t", routingKey, MessageProperties.EMPTY, new byte[0]), result);
        return result.queues().stream().map(Queue::name).sorted().toList();
    }

    private boolean matches(String pattern, String routingKey) {
        Queue q = vhost.queue("q") != null ? vhost.queue("q") : queue("q");
        vhost.bind("t", q, pattern, Map.of());
        try {
            return route(routingKey).contains("q");
        } finally {
            vhost.unbind("t", q, pattern, Map.of());
        }
    }

    @Test
    void splitsKeysOnEveryDotWithoutTrimming() {
        assertThat(TopicExchange.words("")).isEmpty();
        assertThat(TopicExchange.words(".")).containsExactly("", "");
        assertThat(TopicExchange.words("a..b")).containsExactly("a", "", "b");
        assertThat(TopicExchange.words("a.")).containsExactly("a", "");
        assertThat(TopicExchange.words("stock.usd.nyse")).containsExactly("stock", "usd", "nyse");
    }

    @Test
    void starMatchesExactlyOneWordWhichMayBeEmpty() {
        assertThat(matches("*", "a")).isTrue();
        assertThat(matches("*", "")).isFalse();
        assertThat(matches("*", "a.b")).isFalse();
        assertThat(matches("a.*", "a.")).isTrue();
        assertThat(matches("*.b", ".b")).isTrue();
        assertThat(matches("*.*", ".")).isTrue();
        assertThat(matches("a.*.c", "a..c")).isTrue();
    }

    @Test
    void hashMatchesZeroOrMoreWords() {
        assertThat(matches("#", "")).isTrue();
        assertThat(matches("#", "a.b.c.d")).isTrue();
        assertThat(matches("#", ".")).isTrue();
        assertThat(matches("a.#", "a")).isTrue();
        assertThat(matches("#.a", "a")).isTrue();
        assertThat(matches("#.a.#", "a")).isTrue();
        assertThat(matches("a.#.b", "a.b")).isTrue();
        assertThat(matches("a.#.b", "a.x.y.z.b")).isTrue();
        assertThat(matches("a.#.b", "a.x.y.z.c")).isFalse();
        assertThat(matches("#.#", "")).isTrue();
        assertThat(matches("*.#", "")).isFalse();
        assertThat(matches("#.*", "a.b")).isTrue();
        assertThat(matches("a.#.#.b", "a.b")).isTrue();
    }

    @Test
    void theEmptyKeyMatchesOnlyTheEmptyPatternAndHashes() {
        assertThat(matches("", "")).isTrue();
        assertThat(matches("", "a")).isFalse();
        assertThat(matches("", ".")).isFalse();
        assertThat(matches("a", "")).isFalse();
    }

    @Test
    void wildcardsCountOnlyAsWholeWords() {
        assertThat(matches("a*", "ab")).isFalse();
        assertThat(matches("a*", "a*")).isTrue();
        assertThat(matches("a#", "a")).isFalse();
        assertThat(matches("*a", "ba")).isFalse();
    }

    @Test
    void wildcardWordsInTheRoutingKeyAreMatchedLikeAnyOtherWord() {
        assertThat(matches("#", "#.b")).isTrue();
        assertThat(matches("#", "*.*.*")).isTrue();
        assertThat(matches("a.#", "a.#.c")).isTrue();
        assertThat(matches("a.*", "a.*")).isTrue();
        assertThat(matches("a.*", "a.#")).isTrue();
        assertThat(matches("a.#.b", "a.#.b")).isTrue();
        assertThat(matches("a.#.b", "a.#.x.b")).isTrue();
        assertThat(matches("a.b", "a.*")).isFalse();
        assertThat(matches("a.b", "a.#")).isFalse();
        assertThat(matches("#.b", "#")).isFalse();
    }

    @Test
    void aQueueMatchedByManyBindingsIsRoutedToOnce() {
        Queue q = queue("q");
        Queue other = queue("other");
        for (String pattern : List.of("#", "a.#", "#.c", "a.*.c", "*.b.*", "a.b.c", "#.b.#")) {
            vhost.bind("t", q, pattern, Map.of());
        }
        vhost.bind("t", other, "a.b.c", Map.of());

        assertThat(route("a.b.c")).containsExactly("other", "q");
        assertThat(result.queues()).hasSize(2);
    }

    @Test
    void unbindingOnePatternLeavesTheOthersSharingItsPath() {
        Queue q1 = queue("q1");
        Queue q2 = queue("q2");
        Queue q3 = queue("q3");
        vhost.bind("t", q1, "a.b", Map.of());
        vhost.bind("t", q2, "a.b.c", Map.of());
        vhost.bind("t", q3, "a.b", Map.of());

        vhost.unbind("t", q2, "a.b.c", Map.of());
        assertThat(route("a.b")).containsExactly("q1", "q3");
        assertThat(route("a.b.c")).isEmpty();

        vhost.unbind("t", q1, "a.b", Map.of());
        assertThat(route("a.b")).containsExactly("q3");
        vhost.unbind("t", q3, "a.b", Map.of());
        assertThat(route("a.b")).isEmpty();

        vhost.bind("t", q2, "a.b.c", Map.of());
        assertThat(route("a.b.c")).containsExactly("q2");
    }

    @Test
    void aBindingKeyMayHaveAtMostTwoHashes() {
        Queue q = queue("q");
        vhost.bind("t", q, "#.a.#", Map.of());
        vhost.bind("t", q, "#.#", Map.of());

        assertThatThrownBy(() -> vhost.bind("t", q, "a.#.#.#", Map.of()))
                .isInstanceOfSatisfying(BrokerException.class, e -> {
                    assertThat(e.kind()).isEqualTo(ErrorKind.PRECONDITION_FAILED);
                    assertThat(e.getMessage())
                            .isEqualTo("Topic binding key 'a.#.#.#' uses 3 '#' wildcards, at most 2 are allowed");
                });
        // Only whole words count, and other exchange types do not care.
        vhost.bind("t", q, "a#.#b.#.#", Map.of());
        vhost.bind("amq.direct", q, "#.#.#", Map.of());
    }

    @Test
    void routingAVeryLongKeyThroughHashPatternsStaysFast() {
        Queue q = queue("q");
        vhost.bind("t", q, "#.x.#", Map.of());
        vhost.bind("t", q, "#.#", Map.of());
        vhost.bind("t", q, "*.#.*", Map.of());
        String longKey = String.join(".", Collections.nCopies(127, "w"));

        assertTimeoutPreemptively(Duration.ofSeconds(5), () -> {
            for (int i = 0; i < 100; i++) {
                assertThat(route(longKey)).containsExactly("q");
            }
        });
    }
}
