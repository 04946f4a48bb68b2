package io.spool.broker.durability;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.ConfirmListener;
import com.rabbitmq.client.DefaultConsumer;
import com.rabbitmq.client.Envelope;
import com.rabbitmq.client.GetResponse;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * kill -9 under load: producers publish persistent messages with confirms while a consumer
 * acks, the broker is killed at a random moment and started again on the same data directory.
 * Every confirmed message must then be delivered at least once: before the crash, or after it.
 * A message delivered on both sides of the crash must come back flagged redelivered. Likewise
 * for the topology: killed amid declarations and deletions of durable queues, the broker comes
 * back with every queue (and binding) whose declare-ok the client had, and none whose delete-ok.
 *
 * <p>Rounds follow one another on the same data directory, each recovering what the previous
 * crash left. {@code -Dspool.crash.rounds=N} runs more of them (a soak; give it time with
 * {@code -Djunit.jupiter.execution.timeout.default=30m}); {@code -Dspool.crash.seed=S} repeats a
 * run's choices of when to kill.
 */
class CrashTest {

    private static final int PRODUCERS = 4;
    private static final int WINDOW = 200;
    private static final Pattern RECOVERED = Pattern.compile("recovered queue 'crash': (\\d+) messages in \\d+ ms");

    @TempDir
    Path tmp;

    @Test
    void everyConfirmedMessageIsDeliveredAtLeastOnceAfterAKillMinus9() throws Exception {
        int rounds = Integer.getInteger("spool.crash.rounds", 3);
        long seed = Long.getLong("spool.crash.seed", System.nanoTime());
        Random random = new Random(seed);
        Path data = tmp.resolve("data");
        BrokerProcess broker = BrokerProcess.start(data, "--segment-size", "65536");
        try {
            broker.connect().createChannel().queueDeclare("crash", true, false, false, null);
            for (int round = 1; round <= rounds; round++) {
                String what = "round " + round + " of seed " + seed;
                Round r = new Round(round, broker);
                r.start();
                int killAfter = 200 + random.nextInt(4000);
                await(what).atMost(Duration.ofSeconds(60)).until(() -> r.confirmed.size() >= killAfter);
                if (random.nextBoolean()) {
                    // The producers stop and the consumer drains alone for a while: the kill
                    // comes amid acks and deletions of settled segments.
                    r.stopProducers();
                    int target = r.deliveredCount() + 1 + random.nextInt(3000);
                    await(what).atMost(Duration.ofSeconds(60))
                            .until(() -> r.deliveredCount() >= Math.min(target, r.published.size()));
                    what += " (killed while draining)";
                } else {
                    what += " (killed while publishing)";
                }
                broker.kill();
                r.stopProducers();

                broker.close();
                broker = BrokerProcess.start(data, "--segment-size", "65536");
                Matcher recovered = broker.process().stdout().stream().map(RECOVERED::matcher).filter(Matcher::find)
                        .findFirst().orElseThrow(() -> new AssertionError("no recovery line for queue 'crash'"));
                r.drainAndCheck(broker, Integer.parseInt(recovered.group(1)), what);
            }
        } finally {
            broker.close();
        }
    }

    @Test
    void aKillMinus9DuringTopologyChangesLeavesDefinitionsThatLoadAndMatchWhatWasAnswered() throws Exception {
        int rounds = Integer.getInteger("spool.crash.rounds", 3);
        long seed = Long.getLong("spool.crash.seed", System.nanoTime());
        Random random = new Random(seed);
        Path data = tmp.resolve("data");
        BrokerProcess broker = BrokerProcess.start(data);
        try {
            // The state of each queue as the client last heard it.
            Map<String, String> answered = new ConcurrentHashMap<>();
            for (int round = 1; round <= rounds; round++) {
                String what = "round " + round + " of seed " + seed;
                Channel ch = broker.connect().createChannel();
                AtomicBoolean stopping = new AtomicBoolean();
                int base = round * 100_000;
                Thread changer = Thread.ofPlatform().daemon().start(() -> {
                    try {
                        for (int i = base; !stopping.get(); i++) {
                            String q = "topo-" + i;
                            answered.put(q, "declaring");
                            ch.queueDeclare(q, true, false, false, Map.of("x-spool-n", (long) i));
                            ch.queueBind(q, "amq.direct", q);
                            answered.put(q, "declared");
                            if (i % 3 == 0) {
                                String earlier = "topo-" + (i - 2);
                                answered.put(earlier, "deleting");
                                ch.queueDelete(earlier);
                                answered.put(earlier, "deleted");
                            }
                        }
                    } catch (Exception e) {
                        // the broker was killed under us
                    }
                });
                int killAfter = 20 + random.nextInt(150);
                await(what).atMost(Duration.ofSeconds(60))
                        .until(() -> answered.values().stream().filter("declared"::equals).count() >= killAfter);
                broker.kill();
                stopping.set(true);
                changer.join(10_000);

                broker.close();
                broker = BrokerProcess.start(data);
                Set<String> existing = queueNames(broker);
                List<String> declared = new ArrayList<>();
                Channel check = broker.connect().createChannel();
                check.confirmSelect();
                for (Map.Entry<String, String> e : Map.copyOf(answered).entrySet()) {
                    String q = e.getKey();
                    boolean exists = existing.contains(q);
                    switch (e.getValue()) {
                        case "declared" -> {
                            assertThat(exists).as("%s: %s was declared", what, q).isTrue();
                            declared.add(q);
                        }
                        case "deleted" -> {
                            assertThat(exists).as("%s: %s was deleted", what, q).isFalse();
                            answered.remove(q);
                        }
                        default -> {
                            // In flight when the broker died: either way is right. Such a
                            // queue may lack its binding; it goes, so the next round starts clean.
                            if (exists) {
                                check.queueDelete(q);
                            }
                            answered.remove(q);
                        }
                    }
                }
                // The declared queues have their bindings: a message to amq.direct with a
                // queue's name reaches it.
                for (String q : declared) {
                    check.basicPublish("amq.direct", q, null, q.getBytes(StandardCharsets.UTF_8));
                }
                check.waitForConfirmsOrDie(10_000);
                for (String q : declared) {
                    GetResponse r = check.basicGet(q, true);
                    assertThat(r).as("%s: %s is bound", what, q).isNotNull();
                    assertThat(new String(r.getBody(), StandardCharsets.UTF_8)).isEqualTo(q);
                }
            }
        } finally {
            broker.close();
        }
    }

    /** The names of the broker's queues, as the management API lists them. */
    private static Set<String> queueNames(BrokerProcess broker) throws Exception {
        try (HttpClient http = HttpClient.newHttpClient()) {
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(broker.httpUri() + "/api/queues"))
                    .build(), HttpResponse.BodyHandlers.ofString());
            assertThat(r.statusCode()).isEqualTo(200);
            Set<String> names = new HashSet<>();
            new ObjectMapper().readTree(r.body()).forEach(q -> names.add(q.get("name").asText()));
            return names;
        }
    }

    /** One round of load: producers, a consumer, and what each of them saw. */
    private static final class Round {

        private final int number;
        private final BrokerProcess broker;
        private final AtomicBoolean stopping = new AtomicBoolean();
        final Set<String> published = ConcurrentHashMap.newKeySet();
        final Set<String> confirmed = ConcurrentHashMap.newKeySet();
        /** Every delivery before the crash: id and whether it was flagged redelivered. */
        private final List<String> deliveredBeforeCrash = new ArrayList<>();
        private final List<Thread> producers = new ArrayList<>();

        Round(int number, BrokerProcess broker) {
            this.number = number;
            this.broker = broker;
        }

        void start() throws Exception {
            Channel consumerCh = broker.connect().createChannel();
            consumerCh.basicQos(50);
            consumerCh.basicConsume("crash", false, new DefaultConsumer(consumerCh) {
                @Override
                public void handleDelivery(String tag, Envelope envelope, AMQP.BasicProperties props, byte[] body)
                        throws IOException {
                    synchronized (deliveredBeforeCrash) {
                        deliveredBeforeCrash.add(new String(body, StandardCharsets.UTF_8)
                                + (envelope.isRedeliver() ? " redelivered" : ""));
                    }
                    getChannel().basicAck(envelope.getDeliveryTag(), false);
                }
            });
            for (int p = 0; p < PRODUCERS; p++) {
                Channel ch = broker.connect().createChannel();
                ch.confirmSelect();
                int producer = p;
                producers.add(Thread.ofPlatform().daemon().name("producer-" + p).start(() -> produce(ch, producer)));
            }
        }

        /** Publishes until the broker dies, at most {@link #WINDOW} unconfirmed at a time. */
        private void produce(Channel ch, int producer) {
            ConcurrentSkipListMap<Long, String> outstanding = new ConcurrentSkipListMap<>();
            Semaphore window = new Semaphore(WINDOW);
            ch.addConfirmListener(new ConfirmListener() {
                @Override
                public void handleAck(long seq, boolean multiple) {
                    settle(seq, multiple, true);
                }

                @Override
                public void handleNack(long seq, boolean multiple) {
                    settle(seq, multiple, false);
                }

                private void settle(long seq, boolean multiple, boolean ack) {
                    Map<Long, String> done = multiple ? outstanding.headMap(seq, true) : new HashMap<>();
                    if (!multiple && outstanding.containsKey(seq)) {
                        done.put(seq, outstanding.get(seq));
                    }
                    int n = 0;
                    for (Map.Entry<Long, String> e : List.copyOf(done.entrySet())) {
                        if (ack) {
                            confirmed.add(e.getValue());
                        }
                        outstanding.remove(e.getKey());
                        n++;
                    }
                    window.release(n);
                }
            });
            AMQP.BasicProperties persistent = new AMQP.BasicProperties.Builder().deliveryMode(2).build();
            try {
                for (int i = 0; !stopping.get(); i++) {
                    if (!window.tryAcquire(100, TimeUnit.MILLISECONDS)) {
                        continue;
                    }
                    String id = "r" + number + "-p" + producer + "-" + i;
                    published.add(id);
                    outstanding.put(ch.getNextPublishSeqNo(), id);
                    ch.basicPublish("", "crash", persistent, id.getBytes(StandardCharsets.UTF_8));
                }
            } catch (Exception e) {
                // the broker was killed under us: that is the point
            }
        }

        int deliveredCount() {
            synchronized (deliveredBeforeCrash) {
                return deliveredBeforeCrash.size();
            }
        }

        void stopProducers() throws InterruptedException {
            stopping.set(true);
            for (Thread t : producers) {
                t.join(TimeUnit.SECONDS.toMillis(10));
                assertThat(t.isAlive()).as("%s stopped", t.getName()).isFalse();
            }
        }

        /** Drains the restarted broker's queue and checks what came back against what was seen. */
        void drainAndCheck(BrokerProcess restarted, int recovered, String what) throws Exception {
            Channel ch = restarted.connect().createChannel();
            List<String> after = new ArrayList<>();
            Map<String, Boolean> redeliveredAfter = new HashMap<>();
            for (GetResponse r = ch.basicGet("crash", true); r != null; r = ch.basicGet("crash", true)) {
                String id = new String(r.getBody(), StandardCharsets.UTF_8);
                after.add(id);
                redeliveredAfter.put(id, r.getEnvelope().isRedeliver());
            }
            List<String> before;
            synchronized (deliveredBeforeCrash) {
                before = List.copyOf(deliveredBeforeCrash);
            }
            Set<String> deliveredBefore = new HashSet<>();
            for (String d : before) {
                String id = d.replace(" redelivered", "");
                assertThat(deliveredBefore.add(id) || d.endsWith(" redelivered"))
                        .as("%s: %s delivered twice before the crash without the redelivered flag", what, id).isTrue();
            }
            String summary = String.format("%s: %d published, %d confirmed, %d delivered before the crash, %d after",
                    what, published.size(), confirmed.size(), before.size(), after.size());
            System.out.println(summary);

            assertThat(after).as(summary + ": recovered as the log says").hasSize(recovered);
            assertThat(after).as(summary + ": delivered after the crash, all published").allMatch(published::contains);
            assertThat(new HashSet<>(after)).as(summary + ": no duplicates after the crash").hasSize(after.size());
            Set<String> lost = new HashSet<>(confirmed);
            lost.removeAll(deliveredBefore);
            lost.removeAll(after);
            assertThat(lost).as(summary + ": confirmed but never delivered").isEmpty();
            for (String id : after) {
                if (deliveredBefore.contains(id)) {
                    assertThat(redeliveredAfter.get(id)).as(summary + ": %s delivered again unflagged", id).isTrue();
                }
            }
            // The queue is empty again for the next round.
            assertThat(ch.queueDeclarePassive("crash").getMessageCount()).isZero();
        }
    }
}
