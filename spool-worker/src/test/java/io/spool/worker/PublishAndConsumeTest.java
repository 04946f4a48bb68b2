package io.spool.worker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.rabbitmq.client.Channel;
import com.rabbitmq.client.GetResponse;
import io.spool.broker.testing.TestBroker;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

class PublishAndConsumeTest {

    record Resize(String path, int width, List<String> tags) {
    }

    record Other(String x) {
    }

    @RegisterExtension
    @Order(1)
    final TestBroker broker = new TestBroker();

    @RegisterExtension
    @Order(2)
    final Clients clients = new Clients(broker::port);

    @Test
    void aTypedJobReachesItsHandlerWithItsIdAndFirstAttempt() {
        SpoolJobs jobs = clients.connect();
        JobQueue<Resize> q = jobs.queue("thumbnails", Resize.class);
        Map<String, Resize> seen = new ConcurrentHashMap<>();
        List<Integer> attempts = new CopyOnWriteArrayList<>();
        jobs.worker(q).handle((job, ctx) -> {
            seen.put(ctx.jobId(), job);
            attempts.add(ctx.attempt());
        }).start();

        String id = q.publish(new Resize("/data/42.jpg", 320, List.of("cat", "sofa")));

        await().until(() -> seen.containsKey(id));
        assertThat(seen.get(id)).isEqualTo(new Resize("/data/42.jpg", 320, List.of("cat", "sofa")));
        assertThat(attempts).containsExactly(1);
    }

    @Test
    void aPublishedJobIsPersistentJsonWithItsIdAsMessageId() throws Exception {
        SpoolJobs jobs = clients.connect();
        JobQueue<Resize> q = jobs.queue("thumbnails", Resize.class);

        String id = q.publish(new Resize("/a.png", 64, List.of()));

        Channel ch = broker.connect().createChannel();
        GetResponse r = ch.basicGet("thumbnails", true);
        assertThat(r).isNotNull();
        assertThat(r.getProps().getMessageId()).isEqualTo(id);
        assertThat(r.getProps().getDeliveryMode()).isEqualTo(2);
        assertThat(r.getProps().getContentType()).isEqualTo("application/json");
        assertThat(new String(r.getBody())).isEqualTo("{\"path\":\"/a.png\",\"width\":64,\"tags\":[]}");
        assertThat(r.getProps().getHeaders().get(Headers.DEDUPLICATION).toString()).isEqualTo(id);
    }

    @Test
    void asyncPublishesCompleteWithTheirIdsOnceConfirmed() throws Exception {
        SpoolJobs jobs = clients.connect();
        JobQueue<Resize> q = jobs.queue("thumbnails", Resize.class);

        List<CompletableFuture<String>> futures = new java.util.ArrayList<>();
        for (int i = 0; i < 500; i++) {
            futures.add(q.publishAsync(new Resize("/p" + i, i, List.of())));
        }
        CompletableFuture.allOf(futures.toArray(CompletableFuture[]::new)).get();

        assertThat(futures).allSatisfy(f -> assertThat(f.join()).isNotBlank());
        assertThat(futures.stream().map(CompletableFuture::join).distinct()).hasSize(500);
        Channel ch = broker.connect().createChannel();
        assertThat(ch.queueDeclarePassive("thumbnails").getMessageCount()).isEqualTo(500);
    }

    @Test
    void theDedupKeyAndAChosenJobIdReachTheHandler() {
        SpoolJobs jobs = clients.connect();
        JobQueue<Resize> q = jobs.queue("thumbnails", Resize.class);
        Map<String, String> keys = new ConcurrentHashMap<>();
        jobs.worker(q).handle((job, ctx) -> keys.put(ctx.jobId(), ctx.dedupKey().orElse("none"))).start();

        String keyed = q.publish(new Resize("/x", 1, List.of()), PublishOptions.dedupKey("photo-42").withJobId("job-1"));
        String plain = q.publish(new Resize("/y", 1, List.of()));

        await().until(() -> keys.size() == 2);
        assertThat(keyed).isEqualTo("job-1");
        assertThat(keys).containsEntry("job-1", "photo-42").containsEntry(plain, "none");
    }

    @Test
    void aJobWithTheDedupKeyOfOneStillQueuedIsDroppedUntilThatOneIsDone() throws Exception {
        SpoolJobs jobs = clients.connect();
        JobQueue<Resize> q = jobs.queue("thumbnails", Resize.class);

        String first = q.publish(new Resize("/first", 1, List.of()), PublishOptions.dedupKey("photo-42"));
        q.publish(new Resize("/second", 1, List.of()), PublishOptions.dedupKey("photo-42"));
        q.publish(new Resize("/other", 1, List.of()), PublishOptions.dedupKey("photo-43"));

        Channel ch = broker.connect().createChannel();
        assertThat(ch.queueDeclarePassive("thumbnails").getMessageCount()).isEqualTo(2);
        Map<String, String> ran = new ConcurrentHashMap<>();
        jobs.worker(q).handle((job, ctx) -> ran.put(job.path(), ctx.jobId())).start();
        await().until(() -> ran.size() == 2);
        assertThat(ran).containsEntry("/first", first).containsKey("/other");

        String again = q.publish(new Resize("/again", 1, List.of()), PublishOptions.dedupKey("photo-42"));
        await().until(() -> again.equals(ran.get("/again")));
    }

    @Test
    void aJobSentTwiceUnderOneIdIsQueuedOnce() throws Exception {
        SpoolJobs jobs = clients.connect();
        JobQueue<Resize> q = jobs.queue("thumbnails", Resize.class);

        q.publish(new Resize("/x", 1, List.of()), PublishOptions.jobId("upload-7"));
        q.publish(new Resize("/x", 1, List.of()), PublishOptions.jobId("upload-7"));

        Channel ch = broker.connect().createChannel();
        assertThat(ch.queueDeclarePassive("thumbnails").getMessageCount()).isEqualTo(1);
    }

    @Test
    void publishingToAQueueDeletedBehindTheClientsBackFailsClearly() throws Exception {
        SpoolJobs jobs = clients.connect(SpoolJobs.builder().uri(clients.uri()));
        JobQueue<Resize> q = jobs.queue("thumbnails", Resize.class);
        broker.connect().createChannel().queueDelete("thumbnails");

        assertThatThrownBy(() -> q.publish(new Resize("/x", 1, List.of())))
                .isInstanceOf(PublishException.class)
                .hasMessageContaining("queue 'thumbnails' does not exist");
    }

    @Test
    void aQueueNameIsForOneJobType() {
        SpoolJobs jobs = clients.connect();
        jobs.queue("thumbnails", Resize.class);

        assertThat(jobs.queue("thumbnails", Resize.class).name()).isEqualTo("thumbnails");
        assertThatThrownBy(() -> jobs.queue("thumbnails", Other.class))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("already used for " + Resize.class.getName());
    }

    @Test
    void aQueueDeclaredWithOtherArgumentsIsRefusedWithTheBrokersReason() throws Exception {
        broker.connect().createChannel().queueDeclare("thumbnails", true, false, false, Map.of("x-max-length", 5));
        SpoolJobs jobs = clients.connect();

        assertThatThrownBy(() -> jobs.worker(jobs.queue("thumbnails", Resize.class))
                .maxAttempts(2).handle((j, c) -> { }).start())
                .satisfiesAnyOf(
                        e -> assertThat(e).hasMessageContaining("inequivalent arg 'x-max-length'"),
                        e -> assertThat(e).hasMessageContaining("PRECONDITION_FAILED"));
    }

    @Test
    void aMalformedUriOrAMissingBrokerIsAConnectException() {
        assertThatThrownBy(() -> SpoolJobs.connect("amqp://guest:guest@127.0.0.1:notaport"))
                .isInstanceOf(ConnectException.class)
                .hasMessageContaining("malformed AMQP URI");
        assertThatThrownBy(() -> SpoolJobs.builder().uri("amqp://guest:wrong@127.0.0.1:" + broker.port())
                .connectTimeout(Duration.ofSeconds(5)).connect())
                .isInstanceOf(ConnectException.class);
    }
}
