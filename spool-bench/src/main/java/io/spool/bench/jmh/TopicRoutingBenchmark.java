package io.spool.bench.jmh;

import io.spool.broker.model.Exchange;
import io.spool.broker.model.Message;
import io.spool.broker.model.MessageMemory;
import io.spool.broker.model.MessageProperties;
import io.spool.broker.model.Queue;
import io.spool.broker.model.ResourceAlarms;
import io.spool.broker.model.RoutingResult;
import io.spool.broker.model.TopicExchange;
import io.spool.broker.model.VirtualHost;
import io.spool.broker.store.Storage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Routing a publish through a topic exchange with many bindings, as {@link VirtualHost#route}
 * does for every message. Binding keys are {@code tenant.service.event} words: of every 100
 * bindings 90 are exact keys, 9 end in {@code *} and 1 is {@code tenant.#}, spread over 100
 * queues. Routing keys are drawn from the same words, so a publish matches a few bindings (an
 * exact one when it exists, its {@code *} and {@code #} siblings) or none.
 *
 * <pre>
 *   spool-bench/jmh TopicRouting
 * </pre>
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = "-Xmx512m")
public class TopicRoutingBenchmark {

    private static final int QUEUES = 100;
    private static final int KEYS = 4096;

    @Param("10000")
    public int bindings;

    private Path dir;
    private Storage storage;
    private VirtualHost vhost;
    private Exchange topic;
    private final RoutingResult result = new RoutingResult();
    private Message[] messages;
    private int next;

    @Setup(Level.Trial)
    public void bind() throws IOException {
        dir = Files.createTempDirectory("spool-jmh-topic-");
        storage = new Storage(dir, 8L * 1024 * 1024);
        vhost = new VirtualHost("/", new MessageMemory(Long.MAX_VALUE, new ResourceAlarms()), storage);
        topic = vhost.declareExchange("bench.topic", TopicExchange.TYPE, false, false, false, Map.of());
        List<Queue> queues = new ArrayList<>();
        for (int q = 0; q < QUEUES; q++) {
            queues.add(vhost.declareQueue("bench-" + q, false, false, false, Map.of(), null).queue());
        }
        // tenants x services x events; 90% exact keys, 9% "t.s.*", 1% "t.#"
        int tenants = Math.max(1, bindings / 100);
        for (int i = 0; i < bindings; i++) {
            int tenant = i / 100;
            int slot = i % 100;
            String key;
            if (slot < 90) {
                key = "t" + tenant + ".s" + (slot / 10) + ".e" + (slot % 10);
            } else if (slot < 99) {
                key = "t" + tenant + ".s" + (slot - 90) + ".*";
            } else {
                key = "t" + tenant + ".#";
            }
            vhost.bind("bench.topic", queues.get(i % QUEUES), key, Map.of());
        }
        SplittableRandom random = new SplittableRandom(42);
        MessageProperties props = new MessageProperties.Builder().build();
        messages = new Message[KEYS];
        for (int i = 0; i < KEYS; i++) {
            String key = "t" + random.nextInt(tenants) + ".s" + random.nextInt(10) + ".e" + random.nextInt(12);
            messages[i] = new Message("bench.topic", key, props, new byte[16]);
        }
    }

    /** Routes one message; returns the queues it reached. */
    @Benchmark
    public int route() {
        Message m = messages[next++ & (KEYS - 1)];
        vhost.route(topic, m, result);
        return result.queues().size();
    }

    @TearDown(Level.Trial)
    public void close() throws IOException {
        vhost.close();
        storage.close();
        try (Stream<Path> walk = Files.walk(dir)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
