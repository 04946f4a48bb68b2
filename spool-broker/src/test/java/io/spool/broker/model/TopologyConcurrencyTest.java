package io.spool.broker.model;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * Routing runs without locks against bindings that change under the topology lock. While many
 * threads bind and unbind, publishers must never fail and never miss a binding that exists the
 * whole time.
 */
class TopologyConcurrencyTest {

    @org.junit.jupiter.api.extension.RegisterExtension
    final io.spool.broker.testing.TestVirtualHost vhosts = new io.spool.broker.testing.TestVirtualHost();

    private static final int CHURNERS = 4;
    private static final int PUBLISHERS = 4;
    private static final int CHANGES_PER_CHURNER = 10_000;

    private static final List<String> TOPIC_KEYS = List.of("a.b.c", "a.b", "a", "", "x.b.c", "a.b.c.d", "a..c");
    private static final List<String> TOPIC_CHURN_PATTERNS = List.of(
            "a.b.c", "a.*.c", "#", "a.#", "#.c", "a.b.c.d", "*.b.*", "a.b.c.#", "a.b.#.c", "x.y", "a..c");

    @Test
    void publishersNeverMissStableBindingsWhileOthersBindAndUnbind() throws Exception {
        VirtualHost vhost = vhosts.vhost();
        Exchange topic = vhost.declareExchange("topic", TopicExchange.TYPE, false, false, false, Map.of());
        Exchange direct = vhost.declareExchange("direct", DirectExchange.TYPE, false, false, false, Map.of());
        Exchange fanout = vhost.declareExchange("fanout", FanoutExchange.TYPE, false, false, false, Map.of());
        Exchange headers = vhost.declareExchange("headers", HeadersExchange.TYPE, false, false, false, Map.of());
        vhost.declareExchange("relay", FanoutExchange.TYPE, false, false, false, Map.of());

        // Bindings that exist throughout.
        Queue topicStable = queue(vhost, "topic-stable");
        Queue directStable = queue(vhost, "direct-stable");
        Queue fanoutStable = queue(vhost, "fanout-stable");
        Queue headersStable = queue(vhost, "headers-stable");
        Queue relayed = queue(vhost, "relayed");
        vhost.bind("topic", topicStable, "a.#", Map.of());
        vhost.bind("topic", topicStable, "#.c", Map.of());
        vhost.bind("topic", topicStable, "", Map.of());
        vhost.bind("topic", topicStable, "x.*.*", Map.of());
        vhost.bind("direct", directStable, "k", Map.of());
        vhost.bind("fanout", fanoutStable, "", Map.of());
        vhost.bind("headers", headersStable, "", Map.of("x-match", "any", "h", 1));
        vhost.bind("relay", relayed, "", Map.of());
        vhost.bind("direct", vhost.exchange("relay"), "k", Map.of());
        int stableBindings = vhost.bindings().size();

        List<Queue> churnQueues = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            churnQueues.add(queue(vhost, "churn-" + i));
        }

        ExecutorService pool = Executors.newFixedThreadPool(CHURNERS + PUBLISHERS);
        ConcurrentLinkedQueue<Throwable> failures = new ConcurrentLinkedQueue<>();
        CountDownLatch start = new CountDownLatch(1);
        AtomicBoolean churning = new AtomicBoolean(true);
        AtomicLong routes = new AtomicLong();
        List<Future<?>> churners = new ArrayList<>();
        try {
            for (int t = 0; t < CHURNERS; t++) {
                Queue mine = churnQueues.get(t * 2);
                Queue alsoMine = churnQueues.get(t * 2 + 1);
                churners.add(pool.submit(() -> {
                    await(start);
                    try {
                        churn(vhost, mine, alsoMine);
                    } catch (Throwable e) {
                        failures.add(e);
                    }
                }));
            }
            List<Future<?>> publishers = new ArrayList<>();
            for (int t = 0; t < PUBLISHERS; t++) {
                publishers.add(pool.submit(() -> {
                    await(start);
                    RoutingResult result = new RoutingResult();
                    try {
                        // At least one round even if the churners are done first.
                        do {
                            publishOnce(vhost, topic, direct, fanout, headers, result);
                            routes.incrementAndGet();
                        } while (churning.get() && failures.isEmpty());
                    } catch (Throwable e) {
                        failures.add(e);
                    }
                }));
            }
            start.countDown();
            for (Future<?> f : churners) {
                f.get(2, TimeUnit.MINUTES);
            }
            churning.set(false);
            for (Future<?> f : publishers) {
                f.get(1, TimeUnit.MINUTES);
            }
        } finally {
            churning.set(false);
            pool.shutdownNow();
        }

        assertThat(failures).isEmpty();
        assertThat(routes.get()).isPositive();
        // Every churned binding is gone again; the stable ones are all still there.
        assertThat(vhost.bindings()).hasSize(stableBindings);
        RoutingResult result = new RoutingResult();
        publishOnce(vhost, topic, direct, fanout, headers, result);
        vhost.route(topic, message("topic", "a.b.c", Map.of()), result);
        assertThat(result.queues()).containsExactly(topicStable);
    }

    private static Queue queue(VirtualHost vhost, String name) {
        return vhost.declareQueue(name, false, false, false, Map.of(), null).queue();
    }

    private static void await(CountDownLatch latch) {
        try {
            latch.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static Message message(String exchange, String key, Map<String, Object> headers) {
        MessageProperties props = headers.isEmpty()
                ? MessageProperties.EMPTY
                : new MessageProperties.Builder().headers(headers).build();
        return new Message(exchange, key, props, new byte[0]);
    }

    /** Binds and later unbinds churn queues and exchange bindings, leaving nothing behind. */
    private static void churn(VirtualHost vhost, Queue q1, Queue q2) {
        ThreadLocalRandom random = ThreadLocalRandom.current();
        for (int i = 0; i < CHANGES_PER_CHURNER; i++) {
            Queue q = random.nextBoolean() ? q1 : q2;
            String pattern = TOPIC_CHURN_PATTERNS.get(random.nextInt(TOPIC_CHURN_PATTERNS.size()));
            Map<String, Object> match = Map.of("x-match", random.nextBoolean() ? "all" : "any",
                    "h", random.nextInt(3));
            String directKey = random.nextBoolean() ? "k" : "other";
            vhost.bind("topic", q, pattern, Map.of());
            vhost.bind("direct", q, directKey, Map.of());
            vhost.bind("fanout", q, "", Map.of());
            vhost.bind("headers", q, "", match);
            vhost.bind("topic", vhost.exchange("relay"), pattern, Map.of());
            vhost.unbind("topic", vhost.exchange("relay"), pattern, Map.of());
            vhost.unbind("headers", q, "", match);
            vhost.unbind("fanout", q, "", Map.of());
            vhost.unbind("direct", q, directKey, Map.of());
            vhost.unbind("topic", q, pattern, Map.of());
        }
    }

    /** Routes one message per stable binding and checks the stable queue is among the results. */
    private static void publishOnce(VirtualHost vhost, Exchange topic, Exchange direct, Exchange fanout,
                                    Exchange headers, RoutingResult result) {
        for (String key : TOPIC_KEYS) {
            vhost.route(topic, message("topic", key, Map.of()), result);
            assertThat(names(result)).as("topic key '%s'", key).contains("topic-stable");
        }
        vhost.route(direct, message("direct", "k", Map.of()), result);
        assertThat(names(result)).contains("direct-stable", "relayed");
        vhost.route(fanout, message("fanout", "whatever", Map.of()), result);
        assertThat(names(result)).contains("fanout-stable");
        vhost.route(headers, message("headers", "", Map.of("h", 1L)), result);
        assertThat(names(result)).contains("headers-stable");
        assertThat(result.queues()).doesNotHaveDuplicates();
    }

    private static List<String> names(RoutingResult result) {
        return result.queues().stream().map(Queue::name).toList();
    }
}
