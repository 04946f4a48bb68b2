package io.spool.worker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import io.spool.broker.testing.SpoolProcess;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** The broker as a child process, killed with SIGKILL and started again on the same port and data. */
class BrokerRestartTest {

    record Job(int n) {
    }

    @TempDir
    Path dataDir;

    private SpoolProcess broker;
    private int port;

    @RegisterExtension
    @Order(1)
    final Clients clients = new Clients(() -> port);

    @AfterEach
    void stopBroker() {
        clients.closeAll(); // before the broker goes: @AfterEach runs ahead of the extension's callback
        if (broker != null) {
            broker.close();
        }
    }

    private void startBroker(int wantedPort) throws Exception {
        broker = SpoolProcess.java(List.of("-Xmx256m"), List.of("server", "--amqp-port", Integer.toString(wantedPort),
                "--http-port", "-1", "--data-dir", dataDir.toString()), Map.of());
        port = broker.awaitReady();
    }

    private void killBroker() throws InterruptedException {
        broker.process().destroyForcibly();
        broker.awaitExit(Duration.ofSeconds(30));
    }

    private SpoolJobs client() {
        return clients.connect(SpoolJobs.builder().uri(clients.uri())
                .reconnectDelay(Duration.ofMillis(50), Duration.ofMillis(500)));
    }

    @Test
    void confirmedJobsSurviveAKillExactlyOnceAndPublishesMadeWhileTheBrokerIsDownGoThroughAfter() throws Exception {
        startBroker(0);
        SpoolJobs producer = client();
        JobQueue<Job> q = producer.queue("jobs", Job.class);
        List<CompletableFuture<String>> before = new ArrayList<>();
        for (int i = 0; i < 500; i++) {
            before.add(q.publishAsync(new Job(i)));
        }
        Set<String> confirmed = ConcurrentHashMap.newKeySet();
        before.forEach(f -> confirmed.add(f.join()));

        killBroker();
        await().until(() -> !producer.isConnected());
        CompletableFuture<List<String>> duringOutage = CompletableFuture.supplyAsync(() -> {
            List<String> ids = new ArrayList<>();
            for (int i = 500; i < 700; i++) {
                ids.add(q.publish(new Job(i))); // each waits for the broker, then for its confirm
            }
            return ids;
        });
        startBroker(port);
        confirmed.addAll(duringOutage.get());
        await().until(producer::isConnected);

        SpoolJobs worker = client();
        Map<String, AtomicInteger> runs = new ConcurrentHashMap<>();
        worker.worker(worker.queue("jobs", Job.class)).concurrency(4).prefetch(16)
                .handle((job, ctx) -> runs.computeIfAbsent(ctx.jobId(), id -> new AtomicInteger()).incrementAndGet())
                .start();

        await().until(() -> runs.size() == 700 && queueIsDrained("jobs"));
        assertThat(confirmed).hasSize(700);
        assertThat(runs.keySet()).isEqualTo(confirmed);
        assertThat(runs.values()).allSatisfy(n -> assertThat(n).as("runs of one job").hasValue(1));
    }

    @Test
    void aWorkerRunningThroughAKillLosesNoJobAndRepeatsOnlyTheOnesItWasRunning() throws Exception {
        startBroker(0);
        SpoolJobs producer = client();
        SpoolJobs worker = client();
        JobQueue<Job> q = producer.queue("jobs", Job.class);
        CountDownLatch gate = new CountDownLatch(1);
        Set<String> runningAtKill = ConcurrentHashMap.newKeySet();
        Map<String, AtomicInteger> runs = new ConcurrentHashMap<>();
        worker.worker(worker.queue("jobs", Job.class)).concurrency(4).prefetch(8).handle((job, ctx) -> {
            if (gate.getCount() > 0) {
                runningAtKill.add(ctx.jobId());
                gate.await();
            }
            runs.computeIfAbsent(ctx.jobId(), id -> new AtomicInteger()).incrementAndGet();
        }).start();
        Set<String> confirmed = new HashSet<>();
        for (int i = 0; i < 300; i++) {
            confirmed.add(q.publish(new Job(i)));
        }
        await().until(() -> runningAtKill.size() == 4);

        killBroker();
        gate.countDown(); // the four finish while the broker is down: their acks cannot reach it
        await().until(() -> runs.keySet().containsAll(runningAtKill));
        startBroker(port);
        for (int i = 300; i < 400; i++) {
            confirmed.add(q.publish(new Job(i)));
        }

        await().until(() -> runs.keySet().containsAll(confirmed) && queueIsDrained("jobs"));
        assertThat(runs.keySet()).isEqualTo(confirmed);
        Set<String> repeated = new HashSet<>();
        runs.forEach((id, n) -> {
            if (n.get() > 1) {
                repeated.add(id);
            }
        });
        // Run again: the jobs the worker held unacknowledged at the kill, and only those (at most
        // its prefetch of 8: the four running and those delivered ahead).
        assertThat(repeated).containsAll(runningAtKill).hasSizeLessThanOrEqualTo(8);
        assertThat(runs.values()).allSatisfy(n -> assertThat(n.get()).isLessThanOrEqualTo(2));
    }

    private boolean queueIsDrained(String queue) throws Exception {
        ConnectionFactory f = new ConnectionFactory();
        f.setPort(port);
        try (Connection c = f.newConnection(); Channel ch = c.createChannel()) {
            return ch.queueDeclarePassive(queue).getMessageCount() == 0;
        }
    }
}
