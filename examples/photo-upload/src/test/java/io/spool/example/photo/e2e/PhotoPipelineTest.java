package io.spool.example.photo.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.GetResponse;
import io.spool.broker.testing.TestBroker;
import io.spool.example.photo.Json;
import io.spool.example.photo.TestMedia;
import io.spool.example.photo.work.Ffmpeg;
import io.spool.example.photo.work.VideoFacts;
import io.spool.worker.Headers;
import io.spool.worker.JobEvent;
import io.spool.worker.Subscription;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.regex.Pattern;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The example end to end: a real broker, the web app over real HTTP, worker processes, the
 * SQLite file they share. Each test starts the workers it needs.
 */
class PhotoPipelineTest {

    @RegisterExtension
    final TestBroker broker = new TestBroker();

    @TempDir
    Path tmp;

    private PhotoUploadSystem system;
    private WebClient client;

    @BeforeEach
    void start() throws Exception {
        system = PhotoUploadSystem.start(broker, tmp.resolve("data"), null);
        client = system.client;
    }

    @AfterEach
    void stop() {
        system.close();
    }

    @Test
    void anUploadIsAnsweredAtOnceAndItsStatusStreamSaysDoneWhenTheWorkersHaveMadeTheThumbnails() throws Exception {
        byte[] jpeg = TestMedia.image(1600, 1200, "jpeg", 1);

        // No worker runs yet: a 202 now cannot have waited for the work.
        WebClient.Answer answer = client.upload("holiday.jpg", "image/jpeg", jpeg);
        assertThat(answer.status()).isEqualTo(202);
        String id = answer.json().path("id").asText();
        assertThat(answer.json().path("status").asText()).isEqualTo("processing");
        JsonNode queued = client.get("/photos/" + id).json();
        assertThat(queued.path("status").asText()).isEqualTo("processing");
        assertThat(queued.path("thumbnails")).isEmpty();

        try (StatusEvents events = client.events(id)) {
            await().until(() -> events.statuses().contains("processing"));
            system.startWorker();
            system.startWorker();
            await().atMost(Duration.ofSeconds(60)).until(() -> events.statuses().contains("done"));
            await().until(events::ended);
            assertThat(events.statuses()).containsExactly("processing", "done");
            // The stream ends with the final status, which may come before the "finished" news.
            assertThat(events.activities()).first().isEqualTo("thumbnails: attempt 1 started");
            assertThat(events.lastStatus().path("thumbnails")).hasSize(3);
        }

        JsonNode done = client.get("/photos/" + id).json();
        assertThat(done.path("status").asText()).isEqualTo("done");
        assertThat(done.path("kind").asText()).isEqualTo("photo");
        assertThat(done.path("filename").asText()).isEqualTo("holiday.jpg");
        assertThat(done.path("bytes").asLong()).isEqualTo(jpeg.length);
        assertThat(done.path("width").asInt()).isEqualTo(1600);
        assertThat(done.path("height").asInt()).isEqualTo(1200);
        assertThat(done.path("format").asText()).isEqualTo("jpeg");
        assertThat(done.path("sha256").asText()).isEqualTo(sha256(jpeg));
        List<int[]> sizes = new ArrayList<>();
        for (JsonNode url : done.path("thumbnails")) {
            HttpResponse<byte[]> thumbnail = client.getBytes(url.asText());
            assertThat(thumbnail.statusCode()).isEqualTo(200);
            assertThat(thumbnail.headers().firstValue("Content-Type")).contains("image/jpeg");
            BufferedImage image = ImageIO.read(new ByteArrayInputStream(thumbnail.body()));
            sizes.add(new int[] {image.getWidth(), image.getHeight()});
        }
        assertThat(sizes).containsExactly(new int[] {160, 120}, new int[] {320, 240}, new int[] {640, 480});
        assertThat(system.rows("outcomes", id)).isEqualTo(1);
        assertThat(system.rows("outputs", id)).isEqualTo(3);
    }

    @Test
    void aWorkerKilledMidJobHasItsJobRedeliveredToAnotherAndTheDatabaseHoldsItOnce() throws Exception {
        AppProcess first = system.startWorker("--concurrency", "1");
        AppProcess second = system.startWorker("--concurrency", "1");
        // Large enough that decoding it takes the worker well over the moment it takes to kill it.
        String id = client.upload("big.jpg", "image/jpeg", TestMedia.image(6000, 4500, "jpeg", 2))
                .json().path("id").asText();

        Pattern started = Pattern.compile("photos " + id + ": attempt 1 started");
        await().pollInterval(Duration.ofMillis(5)).atMost(Duration.ofSeconds(30))
                .until(() -> printed(first, started) || printed(second, started));
        AppProcess victim = printed(first, started) ? first : second;
        AppProcess survivor = victim == first ? second : first;
        victim.kill();

        await().atMost(Duration.ofSeconds(60))
                .until(() -> client.get("/photos/" + id).json().path("status").asText().equals("done"));
        assertThat(printed(survivor, Pattern.compile("photos " + id + ": attempt 1 started \\(redelivered\\)")))
                .as("the survivor got the job back, flagged redelivered").isTrue();
        assertThat(system.column("outcomes", "worker", id)).startsWith(survivor.pid() + "@");
        assertThat(system.rows("outcomes", id)).isEqualTo(1);
        assertThat(system.rows("outputs", id)).isEqualTo(3);
        assertThat(client.get("/photos/" + id).json().path("thumbnails")).hasSize(3);
    }

    @Test
    void aJobThatKeepsFailingIsRetriedWithGrowingDelaysThenDeadLetteredWithItsError() throws Exception {
        String id = client.upload("vanishing.png", "image/png", TestMedia.png(300, 200)).json().path("id").asText();
        // The original disappears before any worker gets to it: every attempt fails to read it.
        Path original = system.uploadDir(id).resolve("original.png");
        Files.delete(original);

        List<JobEvent> seen = new CopyOnWriteArrayList<>();
        try (Subscription s = system.jobs.events().subscribe("photos.*", e -> {
            if (e.jobId().equals(id)) {
                seen.add(e);
            }
        })) {
            system.startWorker("--max-attempts", "4", "--retry-initial-ms", "300", "--retry-max-ms", "10000");
            await().atMost(Duration.ofSeconds(60))
                    .until(() -> seen.stream().anyMatch(e -> e.type() == JobEvent.Type.DEAD));
        }

        List<JobEvent> failed = of(seen, JobEvent.Type.FAILED);
        assertThat(failed).extracting(JobEvent::attempt).containsExactly(1, 2, 3, 4);
        assertThat(failed).allSatisfy(e -> assertThat(e.error().exceptionClass())
                .isEqualTo("java.nio.file.NoSuchFileException"));
        List<JobEvent> retrying = of(seen, JobEvent.Type.RETRYING);
        assertThat(retrying).extracting(JobEvent::attempt).containsExactly(1, 2, 3);
        long[] levels = {300, 600, 1200};
        List<JobEvent> starts = of(seen, JobEvent.Type.STARTED);
        for (int i = 0; i < 3; i++) {
            long delay = retrying.get(i).retryDelayMillis();
            // Backoff with jitter 0.5: between half and all of a level that doubles each time.
            assertThat(delay).as("delay before retry %d", i + 1).isBetween(levels[i] / 2, levels[i]);
            // FAILED is told before the job goes to its wait queue (RETRYING after the broker confirmed it).
            long waited = starts.get(i + 1).timeMillis() - failed.get(i).timeMillis();
            assertThat(waited).as("time from attempt %d failing to the next starting", i + 1).isGreaterThanOrEqualTo(delay);
        }
        assertThat(retrying.get(2).retryDelayMillis()).isGreaterThan(retrying.get(0).retryDelayMillis());
        assertThat(of(seen, JobEvent.Type.DEAD)).singleElement().satisfies(e -> assertThat(e.attempt()).isEqualTo(4));

        try (com.rabbitmq.client.Connection c = broker.connect(); Channel ch = c.createChannel()) {
            GetResponse dead = ch.basicGet("photos.dead", false);
            assertThat(dead).as("the job parked in photos.dead").isNotNull();
            assertThat(dead.getProps().getMessageId()).isEqualTo(id);
            Map<String, Object> headers = dead.getProps().getHeaders();
            assertThat(headers.get(Headers.ERROR_CLASS)).hasToString("java.nio.file.NoSuchFileException");
            assertThat(headers.get(Headers.ERROR_MESSAGE).toString()).contains(original.toString());
            assertThat(((Number) headers.get(Headers.ATTEMPTS)).intValue()).isEqualTo(4);
            assertThat(headers.get(Headers.ERROR_STACK).toString()).contains("NoSuchFileException");
            assertThat(Json.MAPPER.readTree(dead.getBody()).path("uploadId").asText()).isEqualTo(id);
        }
        JsonNode view = client.get("/photos/" + id).json();
        assertThat(view.path("status").asText()).isEqualTo("failed");
        assertThat(view.path("reason").asText())
                .startsWith("making thumbnails failed after 4 attempts: java.nio.file.NoSuchFileException");
        assertThat(system.rows("outcomes", id)).isEqualTo(1);
    }

    @Test
    void moderationRejectsWhatIsNoImageAndWhatIsOnTheBlockList() throws Exception {
        byte[] banned = TestMedia.image(200, 200, "png", 66);
        Files.writeString(system.dataDir.resolve("block-list.txt"), "# reported 2026-11-20\n" + sha256(banned) + "\n");
        system.startWorker();

        String text = client.upload("cat.png", "image/png", "no cat here".getBytes()).json().path("id").asText();
        String blocked = client.upload("banned.png", "image/png", banned).json().path("id").asText();

        JsonNode notImage = awaitFinal(text);
        assertThat(notImage.path("status").asText()).isEqualTo("rejected");
        assertThat(notImage.path("reason").asText()).isEqualTo("not an image (PNG, JPEG, GIF, BMP or TIFF expected)");
        assertThat(notImage.path("thumbnails")).isEmpty();
        JsonNode onList = awaitFinal(blocked);
        assertThat(onList.path("status").asText()).isEqualTo("rejected");
        assertThat(onList.path("reason").asText()).isEqualTo("the file is on the block list (SHA-256 " + sha256(banned) + ")");
        assertThat(system.column("outcomes", "attempt", blocked)).as("a rejection is not retried").isEqualTo("1");
    }

    @Test
    void aVideoBecomesThreeRenditionsAndAPosterMadeInParallelAndGoesLiveWhenAllAreDone() throws Exception {
        List<JobEvent> seen = new CopyOnWriteArrayList<>();
        Subscription parts = system.jobs.events().subscribe("video-parts.*", seen::add);
        Subscription live = system.jobs.events().subscribe("videos-live.*", seen::add);
        system.startWorker();
        system.startWorker();
        byte[] clip = Files.readAllBytes(TestMedia.video(tmp.resolve("clip.mp4"), 640, 480, 2));

        WebClient.Answer answer = client.upload("clip.mp4", "video/mp4", clip);
        assertThat(answer.status()).isEqualTo(202);
        assertThat(answer.json().path("kind").asText()).isEqualTo("video");
        String id = answer.json().path("id").asText();
        JsonNode view = awaitFinal(id);
        parts.close();
        live.close();

        assertThat(view.path("status").asText()).isEqualTo("done");
        assertThat(view.path("width").asInt()).isEqualTo(640);
        assertThat(view.path("height").asInt()).isEqualTo(480);
        assertThat(view.path("durationMs").asLong()).isBetween(1900L, 2100L);
        assertThat(view.path("renditions")).extracting(JsonNode::asText).containsExactly(
                "/media/" + id + "/video-240.mp4", "/media/" + id + "/video-360.mp4", "/media/" + id + "/video-480.mp4");
        assertThat(view.path("poster").asText()).isEqualTo("/media/" + id + "/poster.jpg");
        Ffmpeg ffmpeg = Ffmpeg.onPath().orElseThrow();
        int[] heights = {240, 360, 480};
        for (int i = 0; i < 3; i++) {
            HttpResponse<byte[]> rendition = client.getBytes(view.path("renditions").get(i).asText());
            assertThat(rendition.statusCode()).isEqualTo(200);
            assertThat(rendition.headers().firstValue("Content-Type")).contains("video/mp4");
            Path copy = Files.write(tmp.resolve("got-" + i + ".mp4"), rendition.body());
            VideoFacts facts = ffmpeg.probe(copy, null);
            assertThat(facts.height()).isEqualTo(heights[i]);
            assertThat(facts.durationMs()).isBetween(1900L, 2100L);
        }
        assertThat(ImageIO.read(new ByteArrayInputStream(client.getBytes(view.path("poster").asText()).body()))
                .getHeight()).isEqualTo(480);

        // The fan-out: four child jobs of the upload's job, at least two running at once, and
        // the join ("live") only after every one of them succeeded.
        List<JobEvent> children = seen.stream().filter(e -> e.queue().equals("video-parts")).toList();
        assertThat(children).allSatisfy(e -> assertThat(e.parentId()).isEqualTo(id));
        assertThat(of(children, JobEvent.Type.SUCCEEDED)).extracting(JobEvent::jobId)
                .containsExactlyInAnyOrder(id + ".1", id + ".2", id + ".3", id + ".4");
        assertThat(mostRunningAtOnce(children)).isGreaterThanOrEqualTo(2);
        long lastChildDone = of(children, JobEvent.Type.SUCCEEDED).stream().mapToLong(JobEvent::timeMillis).max()
                .orElseThrow();
        JobEvent liveStarted = seen.stream().filter(e -> e.queue().equals("videos-live")
                && e.type() == JobEvent.Type.STARTED).findFirst().orElseThrow();
        assertThat(liveStarted.timeMillis()).isGreaterThanOrEqualTo(lastChildDone);
        assertThat(system.rows("outcomes", id)).isEqualTo(1);
        assertThat(system.rows("outputs", id)).isEqualTo(4);
    }

    private JsonNode awaitFinal(String id) {
        JsonNode[] last = new JsonNode[1];
        await().atMost(Duration.ofSeconds(90)).until(() -> {
            last[0] = client.get("/photos/" + id).json();
            return !last[0].path("status").asText().equals("processing");
        });
        return last[0];
    }

    private static boolean printed(AppProcess p, Pattern pattern) {
        return p.output().stdout().stream().anyMatch(line -> pattern.matcher(line).find());
    }

    private static List<JobEvent> of(List<JobEvent> events, JobEvent.Type type) {
        return events.stream().filter(e -> e.type() == type).toList();
    }

    /** The most jobs between their STARTED and SUCCEEDED at the same moment. */
    private static int mostRunningAtOnce(List<JobEvent> events) {
        List<JobEvent> ordered = events.stream()
                .filter(e -> e.type() == JobEvent.Type.STARTED || e.type() == JobEvent.Type.SUCCEEDED)
                .sorted(java.util.Comparator.comparingLong(JobEvent::timeMillis)
                        .thenComparing(e -> e.type() == JobEvent.Type.STARTED ? 1 : 0))
                .toList();
        int running = 0;
        int most = 0;
        for (JobEvent e : ordered) {
            running += e.type() == JobEvent.Type.STARTED ? 1 : -1;
            most = Math.max(most, running);
        }
        return most;
    }

    static String sha256(byte[] bytes) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    }
}
