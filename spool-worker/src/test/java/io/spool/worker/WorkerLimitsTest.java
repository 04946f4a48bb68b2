package io.spool.worker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.rabbitmq.client.Channel;
import com.rabbitmq.client.GetResponse;
import io.spool.broker.testing.TestBroker;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Concurrency, the per-job timeout and graceful shutdown. */
class WorkerLimitsTest {

    record Task(int n) {
    }

    @RegisterExtension
    @Order(1)
    final TestBroker broker = new TestBroker();

    @RegisterExtension
    @Order(2)
    final Clients clients = new Clients(broker::port);

    @Test
    void noMoreHandlersRunAtOnceThanTheConcurrency() {
        SpoolJobs jobs = clients.connect();
        JobQueue<Task> q = jobs.queue("tasks", Task.class);
        AtomicInteger running = new AtomicInteger();
        AtomicInteger most = new AtomicInteger();
        Semaphore release = new Semaphore(0);
        Set<Integer> done = ConcurrentHashMap.newKeySet();
        Worker w = jobs.worker(q).concurrency(3).prefetch(10).handle((job, ctx) -> {
            most.accumulateAndGet(running.incrementAndGet(), Math::max);
            release.acquire();
            running.decrementAndGet();
            done.add(job.n());
        }).start();

        for (int i = 0; i < 12; i++) {
            q.publishAsync(new Task(i));
        }

        for (int finished = 0; finished < 12; finished++) {
            int left = 12 - finished;
            await().until(() -> running.get() == Math.min(3, left));
            assertThat(w.inFlight()).isEqualTo(Math.min(3, left));
            release.release();
            int expected = finished + 1;
            await().until(() -> done.size() == expected);
        }
        assertThat(most).hasValue(3);
    }

    @Test
    void anAttemptPastTheTimeoutIsInterruptedAndFailsWithJobTimeoutException() throws Exception {
        SpoolJobs jobs = clients.connect();
        JobQueue<Task> q = jobs.queue("tasks", Task.class);
        CountDownLatch never = new CountDownLatch(1);
        List<Throwable> seenByHandler = new CopyOnWriteArrayList<>();
        jobs.worker(q).timeout(Duration.ofMillis(300)).maxAttempts(1).handle((job, ctx) -> {
            try {
                never.await();
            } catch (InterruptedException e) {
                seenByHandler.add(e);
                throw e;
            }
        }).start();
        long start = System.nanoTime();

        q.publish(new Task(1));

        Channel ch = broker.connect().createChannel();
        GetResponse dead = await().until(() -> ch.basicGet("tasks.dead", true), r -> r != null);
        assertThat((System.nanoTime() - start) / 1_000_000).isGreaterThanOrEqualTo(300);
        assertThat(seenByHandler).hasSize(1);
        assertThat(dead.getProps().getHeaders().get(Headers.ERROR_CLASS).toString())
                .isEqualTo(JobTimeoutException.class.getName());
        assertThat(dead.getProps().getHeaders().get(Headers.ERROR_MESSAGE).toString())
                .isEqualTo("job ran longer than its timeout of PT0.3S");
    }

    @Test
    void aTimedOutJobIsNotRetriedWhileItsHandlerStillRuns() {
        SpoolJobs jobs = clients.connect();
        JobQueue<Task> q = jobs.queue("tasks", Task.class);
        AtomicInteger running = new AtomicInteger();
        AtomicInteger most = new AtomicInteger();
        CountDownLatch letGo = new CountDownLatch(1);
        java.util.concurrent.atomic.AtomicBoolean interrupted = new java.util.concurrent.atomic.AtomicBoolean();
        List<Integer> attempts = new CopyOnWriteArrayList<>();
        jobs.worker(q).concurrency(4).timeout(Duration.ofMillis(200)).maxAttempts(2)
                .backoff(Duration.ofMillis(10), Duration.ofMillis(10)).handle((job, ctx) -> {
                    most.accumulateAndGet(running.incrementAndGet(), Math::max);
                    attempts.add(ctx.attempt());
                    // The first attempt ignores its interrupt and runs on past its timeout.
                    while (ctx.attempt() == 1) {
                        try {
                            letGo.await();
                            break;
                        } catch (InterruptedException e) {
                            interrupted.set(true);
                        }
                    }
                    running.decrementAndGet();
                }).start();

        q.publish(new Task(1));

        await().untilTrue(interrupted);
        await().during(Duration.ofMillis(500)).atMost(Duration.ofSeconds(2))
                .until(() -> attempts.equals(List.of(1)));
        letGo.countDown();
        await().until(() -> attempts.size() == 2);
        assertThat(attempts).containsExactly(1, 2);
        assertThat(most).as("never two attempts at once").hasValue(1);
    }

    @Test
    void gracefulShutdownLetsRunningJobsFinishAndHandsBackTheOnesNotStarted() throws Exception {
        SpoolJobs jobs = clients.connect();
        JobQueue<Task> q = jobs.queue("tasks", Task.class);
        CountDownLatch finish = new CountDownLatch(1);
        Set<Integer> started = ConcurrentHashMap.newKeySet();
        Set<Integer> done = ConcurrentHashMap.newKeySet();
        Worker w = jobs.worker(q).concurrency(2).prefetch(5).handle((job, ctx) -> {
            started.add(job.n());
            finish.await();
            done.add(job.n());
        }).start();
        for (int i = 0; i < 5; i++) {
            q.publish(new Task(i));
        }
        await().until(() -> started.size() == 2);

        Thread closer = Thread.ofVirtual().start(() -> assertThat(w.close(Duration.ofSeconds(30))).isTrue());
        await().until(() -> closingRequeued(3));
        finish.countDown();
        closer.join();

        assertThat(done).isEqualTo(started).hasSize(2);
        Channel ch = broker.connect().createChannel();
        assertThat(ch.queueDeclarePassive("tasks").getMessageCount()).isEqualTo(3);
        assertThat(ch.queueDeclarePassive("tasks").getConsumerCount()).isZero();
    }

    @Test
    void jobsStillRunningAtTheDeadlineAreInterruptedAndHandedBack() throws Exception {
        SpoolJobs jobs = clients.connect();
        JobQueue<Task> q = jobs.queue("tasks", Task.class);
        CountDownLatch never = new CountDownLatch(1);
        Set<Integer> interrupted = ConcurrentHashMap.newKeySet();
        Set<Integer> started = ConcurrentHashMap.newKeySet();
        Worker w = jobs.worker(q).concurrency(2).handle((job, ctx) -> {
            started.add(job.n());
            try {
                never.await();
            } catch (InterruptedException e) {
                interrupted.add(job.n());
                throw e;
            }
        }).start();
        q.publish(new Task(1));
        q.publish(new Task(2));
        await().until(() -> started.size() == 2);

        assertThat(w.close(Duration.ofMillis(200))).isFalse();

        await().until(() -> interrupted.size() == 2);
        Channel ch = broker.connect().createChannel();
        await().until(() -> ch.queueDeclarePassive("tasks").getMessageCount() == 2);
        // Handed back as they were: still the first attempt, not parked as retries.
        GetResponse r = ch.basicGet("tasks", true);
        assertThat(r.getProps().getHeaders().get(Headers.ATTEMPT)).isEqualTo(1);
        assertThat(ch.queueDeclarePassive("tasks.dead").getMessageCount()).isZero();
    }

    private boolean closingRequeued(int n) throws Exception {
        Channel ch = broker.connect().createChannel();
        try {
            return ch.queueDeclarePassive("tasks").getMessageCount() == n;
        } finally {
            ch.close();
        }
    }
}
