package io.spool.worker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.spool.broker.testing.TestBroker;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

class EventsTest {

    record Photo(String name, boolean broken) {
    }

    @RegisterExtension
    @Order(1)
    final TestBroker broker = new TestBroker();

    @RegisterExtension
    @Order(2)
    final Clients clients = new Clients(broker::port);

    @Test
    void aSubscriberSeesEachJobStartAndSucceedOrFailRetryAndDie() {
        SpoolJobs app = clients.connect();
        List<JobEvent> events = new CopyOnWriteArrayList<>();
        app.events().subscribe("photos.*", events::add);
        SpoolJobs workers = clients.connect();
        JobQueue<Photo> q = workers.queue("photos", Photo.class);
        workers.worker(q).maxAttempts(2).backoff(Duration.ofMillis(50), Duration.ofMillis(50)).jitter(0)
                .handle((photo, ctx) -> {
                    if (photo.broken()) {
                        throw new IllegalArgumentException("not an image: " + photo.name());
                    }
                }).start();

        String good = app.queue("photos", Photo.class).publish(new Photo("cat.jpg", false));
        await().until(() -> types(events, good).contains(JobEvent.Type.SUCCEEDED));
        String bad = app.queue("photos", Photo.class).publish(new Photo("notes.txt", true));
        await().until(() -> types(events, bad).contains(JobEvent.Type.DEAD));

        assertThat(types(events, good)).containsExactly(JobEvent.Type.STARTED, JobEvent.Type.SUCCEEDED);
        assertThat(types(events, bad)).containsExactly(
                JobEvent.Type.STARTED, JobEvent.Type.FAILED, JobEvent.Type.RETRYING,
                JobEvent.Type.STARTED, JobEvent.Type.FAILED, JobEvent.Type.DEAD);
        List<JobEvent> ofBad = events.stream().filter(e -> e.jobId().equals(bad)).toList();
        assertThat(ofBad).extracting(JobEvent::attempt).containsExactly(1, 1, 1, 2, 2, 2);
        assertThat(ofBad.get(2).retryDelayMillis()).isEqualTo(50);
        assertThat(ofBad.get(5).error().exceptionClass()).isEqualTo(IllegalArgumentException.class.getName());
        assertThat(ofBad.get(5).error().message()).isEqualTo("not an image: notes.txt");
        assertThat(ofBad.get(5).error().attempts()).isEqualTo(2);
        assertThat(events).allSatisfy(e -> {
            assertThat(e.queue()).isEqualTo("photos");
            assertThat(e.routingKey()).isEqualTo("photos." + e.type().routingWord());
        });
    }

    @Test
    void aPatternSelectsEventsByQueueAndType() {
        SpoolJobs jobs = clients.connect();
        List<JobEvent> deaths = new CopyOnWriteArrayList<>();
        List<JobEvent> all = new CopyOnWriteArrayList<>();
        jobs.events().subscribe("#.dead", deaths::add);
        jobs.events().subscribe("#", all::add);
        for (String name : List.of("photos", "videos")) {
            JobQueue<Photo> q = jobs.queue(name, Photo.class);
            jobs.worker(q).maxAttempts(1).handle((photo, ctx) -> {
                if (photo.broken()) {
                    throw new IllegalStateException("broken");
                }
            }).start();
            q.publish(new Photo("ok", false));
            q.publish(new Photo("broken", true));
        }

        await().until(() -> all.stream().filter(e -> e.type() == JobEvent.Type.DEAD).count() == 2
                && all.stream().filter(e -> e.type() == JobEvent.Type.SUCCEEDED).count() == 2);
        assertThat(deaths).extracting(JobEvent::queue).containsExactlyInAnyOrder("photos", "videos");
        assertThat(deaths).extracting(JobEvent::type).containsOnly(JobEvent.Type.DEAD);
    }

    @Test
    void aClosedSubscriptionHearsNothingMore() {
        SpoolJobs jobs = clients.connect();
        List<JobEvent> before = new CopyOnWriteArrayList<>();
        List<JobEvent> control = new CopyOnWriteArrayList<>();
        Subscription s = jobs.events().subscribe("photos.succeeded", before::add);
        jobs.events().subscribe("photos.succeeded", control::add);
        JobQueue<Photo> q = jobs.queue("photos", Photo.class);
        jobs.worker(q).handle((photo, ctx) -> { }).start();
        q.publish(new Photo("one", false));
        await().until(() -> before.size() == 1 && control.size() == 1);

        s.close();
        q.publish(new Photo("two", false));

        await().until(() -> control.size() == 2);
        assertThat(before).hasSize(1);
    }

    private static List<JobEvent.Type> types(List<JobEvent> events, String jobId) {
        return events.stream().filter(e -> e.jobId().equals(jobId)).map(JobEvent::type).toList();
    }
}
