package io.spool.worker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.rabbitmq.client.Channel;
import com.rabbitmq.client.GetResponse;
import io.spool.broker.testing.TestBroker;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

class RetryAndDeadLetterTest {

    record Encode(String file) {
    }

    /** What a handler saw of one attempt. */
    record Attempt(int number, long nanos, boolean lastAttempt) {
    }

    @RegisterExtension
    @Order(1)
    final TestBroker broker = new TestBroker();

    @RegisterExtension
    @Order(2)
    final Clients clients = new Clients(broker::port);

    @Test
    void aHandlerThatAlwaysThrowsIsRetriedWithGrowingDelaysThenDeadLetteredWithItsError() throws Exception {
        SpoolJobs jobs = clients.connect();
        JobQueue<Encode> q = jobs.queue("encode", Encode.class);
        List<Attempt> attempts = new CopyOnWriteArrayList<>();
        jobs.worker(q).maxAttempts(4).backoff(Duration.ofMillis(200), Duration.ofSeconds(5)).jitter(0)
                .handle((job, ctx) -> {
                    attempts.add(new Attempt(ctx.attempt(), System.nanoTime(), ctx.isLastAttempt()));
                    throw new IllegalStateException("codec missing for " + job.file(),
                            new java.io.FileNotFoundException("/usr/lib/codec.so"));
                }).start();

        String id = q.publish(new Encode("movie.mkv"));

        Channel ch = broker.connect().createChannel();
        GetResponse dead = await().atMost(Duration.ofSeconds(20)).until(() -> ch.basicGet("encode.dead", true),
                r -> r != null);
        assertThat(attempts).extracting(Attempt::number).containsExactly(1, 2, 3, 4);
        assertThat(attempts).extracting(Attempt::lastAttempt).containsExactly(false, false, false, true);
        List<Long> gapsMs = new ArrayList<>();
        for (int i = 1; i < attempts.size(); i++) {
            gapsMs.add((attempts.get(i).nanos() - attempts.get(i - 1).nanos()) / 1_000_000);
        }
        // 200, 400 and 800 ms of backoff, each plus the time to run and settle
        assertThat(gapsMs.get(0)).isBetween(200L, 2_000L);
        assertThat(gapsMs.get(1)).isGreaterThanOrEqualTo(400L).isGreaterThan(gapsMs.get(0));
        assertThat(gapsMs.get(2)).isGreaterThanOrEqualTo(800L).isGreaterThan(gapsMs.get(1));

        assertThat(dead.getProps().getMessageId()).isEqualTo(id);
        assertThat(new String(dead.getBody())).isEqualTo("{\"file\":\"movie.mkv\"}");
        Map<String, Object> h = dead.getProps().getHeaders();
        assertThat(h.get(Headers.ERROR_CLASS).toString()).isEqualTo("java.lang.IllegalStateException");
        assertThat(h.get(Headers.ERROR_MESSAGE).toString()).isEqualTo("codec missing for movie.mkv");
        assertThat(h.get(Headers.ERROR_STACK).toString())
                .startsWith("java.lang.IllegalStateException: codec missing for movie.mkv\n\tat ")
                .contains("RetryAndDeadLetterTest")
                .contains("Caused by: java.io.FileNotFoundException: /usr/lib/codec.so");
        assertThat(h.get(Headers.ATTEMPTS)).isEqualTo(4);
        assertThat(ch.queueDeclarePassive("encode").getMessageCount()).isZero();
        assertThat(ch.basicGet("encode.dead", true)).as("dead-lettered once").isNull();
    }

    @Test
    void aJobThatFailsOnceSucceedsOnItsSecondAttempt() {
        SpoolJobs jobs = clients.connect();
        JobQueue<Encode> q = jobs.queue("encode", Encode.class);
        List<Integer> succeeded = new CopyOnWriteArrayList<>();
        jobs.worker(q).backoff(Duration.ofMillis(50), Duration.ofSeconds(1)).handle((job, ctx) -> {
            if (ctx.attempt() == 1) {
                throw new java.io.IOException("storage busy");
            }
            succeeded.add(ctx.attempt());
        }).start();

        q.publish(new Encode("a"));

        await().until(() -> succeeded.equals(List.of(2)));
    }

    @Test
    void retriesComingBackBeforeTheirFailedAttemptIsAcknowledgedAreNotMistakenForDuplicates() {
        // The work queue deduplicates; with a 1 ms backoff the retry is back in it at once, maybe
        // before the broker has the failed attempt's ack, so it must not carry the same key.
        SpoolJobs jobs = clients.connect();
        JobQueue<Encode> q = jobs.queue("encode", Encode.class);
        java.util.Set<String> succeeded = java.util.concurrent.ConcurrentHashMap.newKeySet();
        jobs.worker(q).concurrency(8).maxAttempts(3).backoff(Duration.ofMillis(1), Duration.ofMillis(1)).jitter(0)
                .handle((job, ctx) -> {
                    if (ctx.attempt() < 3) {
                        throw new IllegalStateException("not yet");
                    }
                    succeeded.add(job.file());
                }).start();

        for (int i = 0; i < 200; i++) {
            q.publishAsync(new Encode("f" + i), PublishOptions.dedupKey("file-" + i));
        }

        await().atMost(Duration.ofSeconds(30)).until(() -> succeeded.size() == 200);
    }

    @Test
    void aPermanentFailureIsDeadLetteredWithoutRetries() throws Exception {
        SpoolJobs jobs = clients.connect();
        JobQueue<Encode> q = jobs.queue("encode", Encode.class);
        AtomicInteger runs = new AtomicInteger();
        jobs.worker(q).maxAttempts(5).handle((job, ctx) -> {
            runs.incrementAndGet();
            throw new PermanentJobFailure("not a video: " + job.file());
        }).start();

        q.publish(new Encode("notes.txt"));

        Channel ch = broker.connect().createChannel();
        GetResponse dead = await().until(() -> ch.basicGet("encode.dead", true), r -> r != null);
        assertThat(runs).hasValue(1);
        assertThat(dead.getProps().getHeaders().get(Headers.ERROR_MESSAGE).toString()).isEqualTo("not a video: notes.txt");
        assertThat(dead.getProps().getHeaders().get(Headers.ATTEMPTS)).isEqualTo(1);
    }

    @Test
    void aJobThatIsNotJsonOfTheQueuesTypeIsDeadLetteredAtOnce() throws Exception {
        SpoolJobs jobs = clients.connect();
        JobQueue<Encode> q = jobs.queue("encode", Encode.class);
        AtomicInteger runs = new AtomicInteger();
        jobs.worker(q).handle((job, ctx) -> runs.incrementAndGet()).start();

        Channel ch = broker.connect().createChannel();
        ch.basicPublish("", "encode", null, "not json".getBytes());

        GetResponse dead = await().until(() -> ch.basicGet("encode.dead", true), r -> r != null);
        assertThat(new String(dead.getBody())).isEqualTo("not json");
        assertThat(dead.getProps().getHeaders().get(Headers.ERROR_CLASS).toString())
                .isEqualTo(PermanentJobFailure.class.getName());
        assertThat(dead.getProps().getHeaders().get(Headers.ERROR_MESSAGE).toString())
                .startsWith("the job is not JSON of " + Encode.class.getName());
        assertThat(dead.getProps().getMessageId()).as("given an id, for the record").isNotBlank();
        assertThat(runs).hasValue(0);
    }

    @Test
    void aJobThatStopsEveryWorkerRunningItIsDeadLetteredOnceItsDeliveriesRunOut() throws Exception {
        AtomicInteger runs = new AtomicInteger();
        String id = null;
        // Three worker processes in turn take the job and stop while it runs: a shutdown past
        // its deadline hands the job back unsettled, as the death of the process does.
        for (int i = 0; i < 3; i++) {
            SpoolJobs jobs = clients.connect();
            JobQueue<Encode> q = jobs.queue("encode", Encode.class);
            if (id == null) {
                id = q.publish(new Encode("crash.mkv"));
            }
            CountDownLatch running = new CountDownLatch(1);
            Worker w = jobs.worker(q).maxDeliveries(3).handle((job, ctx) -> {
                runs.incrementAndGet();
                running.countDown();
                new CountDownLatch(1).await(); // until the shutdown interrupts it
            }).start();
            assertThat(running.await(20, TimeUnit.SECONDS)).as("run " + (i + 1) + " started").isTrue();
            assertThat(w.close(Duration.ofMillis(50))).as("still running at the deadline").isFalse();
            jobs.close();
        }

        SpoolJobs jobs = clients.connect();
        JobQueue<Encode> q = jobs.queue("encode", Encode.class);
        List<JobEvent> events = new CopyOnWriteArrayList<>();
        jobs.events().subscribe("encode.*", events::add);
        jobs.worker(q).maxDeliveries(3).handle((job, ctx) -> runs.incrementAndGet()).start();

        Channel ch = broker.connect().createChannel();
        GetResponse dead = await().atMost(Duration.ofSeconds(20)).until(() -> ch.basicGet("encode.dead", true),
                r -> r != null);
        assertThat(runs).as("not run a fourth time").hasValue(3);
        assertThat(dead.getProps().getMessageId()).isEqualTo(id);
        Map<String, Object> h = dead.getProps().getHeaders();
        assertThat(h.get(Headers.ERROR_CLASS).toString()).isEqualTo(RedeliveryLimitException.class.getName());
        assertThat(h.get(Headers.ERROR_MESSAGE).toString()).startsWith("delivered 4 times without being settled");
        assertThat(h).as("a replayed copy starts its own count").doesNotContainKey("x-delivery-count");
        await().until(() -> events.stream().map(JobEvent::type).toList(),
                types -> types.equals(List.of(JobEvent.Type.FAILED, JobEvent.Type.DEAD)));
        assertThat(ch.queueDeclarePassive("encode").getMessageCount()).isZero();
    }

    @Test
    void jitterSpreadsTheRetriesOfJobsThatFailedTogether() {
        SpoolJobs jobs = clients.connect();
        JobQueue<Encode> q = jobs.queue("encode", Encode.class);
        List<Long> secondAttempts = new CopyOnWriteArrayList<>();
        jobs.worker(q).concurrency(20).maxAttempts(2).backoff(Duration.ofSeconds(1), Duration.ofSeconds(1)).jitter(1)
                .handle((job, ctx) -> {
                    if (ctx.attempt() == 1) {
                        throw new IllegalStateException("down");
                    }
                    secondAttempts.add(System.nanoTime());
                }).start();
        long start = System.nanoTime();

        for (int i = 0; i < 20; i++) {
            q.publishAsync(new Encode("f" + i));
        }

        await().until(() -> secondAttempts.size() == 20);
        List<Long> afterMs = secondAttempts.stream().map(t -> (t - start) / 1_000_000).sorted().toList();
        // Delays drawn from [0, 1 s]: the retries come back spread over that second, not at once.
        assertThat(afterMs.get(19) - afterMs.get(0)).isGreaterThan(300);
        assertThat(afterMs.get(19)).isLessThan(5_000);
    }
}
