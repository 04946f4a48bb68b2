package io.spool.worker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.rabbitmq.client.Channel;
import io.spool.broker.testing.TestBroker;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

class DrainTest {

    record Thumbnail(int photo) {
    }

    @RegisterExtension
    @Order(1)
    final TestBroker broker = new TestBroker();

    @RegisterExtension
    @Order(2)
    final Clients clients = new Clients(broker::port);

    @Test
    void tenThousandJobsDrainedByFourWorkersNoneLostNoneTwice() throws Exception {
        Map<Integer, AtomicInteger> runs = new ConcurrentHashMap<>();
        Map<Integer, Integer> byWorker = new ConcurrentHashMap<>();
        for (int w = 0; w < 4; w++) {
            SpoolJobs process = clients.connect(); // one connection per worker, as four processes would have
            int worker = w;
            process.worker(process.queue("thumbnails", Thumbnail.class)).concurrency(4).prefetch(16)
                    .handle((job, ctx) -> {
                        runs.computeIfAbsent(job.photo(), p -> new AtomicInteger()).incrementAndGet();
                        byWorker.merge(worker, 1, Integer::sum);
                    }).start();
        }
        SpoolJobs producer = clients.connect();
        JobQueue<Thumbnail> q = producer.queue("thumbnails", Thumbnail.class);

        List<CompletableFuture<String>> confirms = new ArrayList<>();
        for (int i = 0; i < 10_000; i++) {
            confirms.add(q.publishAsync(new Thumbnail(i)));
        }
        CompletableFuture.allOf(confirms.toArray(CompletableFuture[]::new)).get();

        Channel ch = broker.connect().createChannel();
        await().atMost(Duration.ofSeconds(60)).until(() -> runs.size() == 10_000
                && ch.queueDeclarePassive("thumbnails").getMessageCount() == 0);
        assertThat(runs.values()).allSatisfy(n -> assertThat(n).hasValue(1));
        assertThat(byWorker).hasSize(4);
        assertThat(byWorker.values()).allSatisfy(n -> assertThat(n).isGreaterThan(0));
        assertThat(byWorker.values().stream().mapToInt(Integer::intValue).sum()).isEqualTo(10_000);
    }
}
