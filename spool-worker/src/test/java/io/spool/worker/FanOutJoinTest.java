package io.spool.worker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.spool.broker.testing.TestBroker;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

class FanOutJoinTest {

    record Video(String id) {
    }

    record Render(String videoId, String rendition) {
    }

    record GoLive(String videoId) {
    }

    @RegisterExtension
    @Order(1)
    final TestBroker broker = new TestBroker();

    @RegisterExtension
    @Order(2)
    final Clients clients = new Clients(broker::port);

    @Test
    void theParentSucceedsAndItsFollowUpRunsOnceWhenEveryChildHasSucceeded() {
        // Three "processes": one runs videos, one runs renditions, one the follow-up.
        SpoolJobs videoWorker = clients.connect();
        SpoolJobs renderWorker = clients.connect();
        SpoolJobs liveWorker = clients.connect();
        SpoolJobs app = clients.connect();
        List<JobEvent> events = new CopyOnWriteArrayList<>();
        app.events().subscribe("videos.*", events::add);

        JobQueue<Video> videos = videoWorker.queue("videos", Video.class);
        List<String> childIds = new CopyOnWriteArrayList<>();
        videoWorker.worker(videos).handle((video, ctx) -> {
            for (String r : List.of("480p", "720p", "1080p")) {
                childIds.add(ctx.spawn(videoWorker.queue("renditions", Render.class), new Render(video.id(), r)));
            }
            ctx.whenChildrenDone(videoWorker.queue("live", GoLive.class), new GoLive(video.id()));
        }).start();

        CountDownLatch renderGate = new CountDownLatch(1);
        Map<String, String> rendered = new ConcurrentHashMap<>();
        renderWorker.worker(renderWorker.queue("renditions", Render.class)).concurrency(3).handle((render, ctx) -> {
            renderGate.await();
            rendered.put(ctx.jobId(), render.rendition() + " of " + render.videoId() + " for " + ctx.parentId().orElseThrow());
        }).start();

        List<String> live = new CopyOnWriteArrayList<>();
        List<String> liveIds = new CopyOnWriteArrayList<>();
        liveWorker.worker(liveWorker.queue("live", GoLive.class)).handle((goLive, ctx) -> {
            live.add(goLive.videoId());
            liveIds.add(ctx.jobId());
        }).start();

        String videoJob = app.queue("videos", Video.class).publish(new Video("v1"));

        await().until(() -> childIds.size() == 3);
        assertThat(childIds).containsExactly(videoJob + ".1", videoJob + ".2", videoJob + ".3");
        await().during(Duration.ofMillis(300)).until(() -> live.isEmpty() && !succeeded(events, videoJob));
        renderGate.countDown();

        await().until(() -> live.size() == 1 && succeeded(events, videoJob));
        assertThat(rendered).containsOnlyKeys(childIds);
        assertThat(rendered.get(videoJob + ".2")).isEqualTo("720p of v1 for " + videoJob);
        assertThat(live).containsExactly("v1");
        assertThat(liveIds).containsExactly(videoJob + ".then");
        assertThat(events.stream().filter(e -> e.jobId().equals(videoJob)).map(JobEvent::type))
                .containsExactly(JobEvent.Type.STARTED, JobEvent.Type.SUCCEEDED);
    }

    @Test
    void aDeadChildMakesTheParentDeadAndItsFollowUpNeverRuns() {
        SpoolJobs jobs = clients.connect();
        List<JobEvent> events = new CopyOnWriteArrayList<>();
        jobs.events().subscribe("#", events::add);
        JobQueue<Video> videos = jobs.queue("videos", Video.class);
        JobQueue<Render> renditions = jobs.queue("renditions", Render.class);
        JobQueue<GoLive> liveQueue = jobs.queue("live", GoLive.class);
        jobs.worker(videos).handle((video, ctx) -> {
            ctx.spawn(renditions, new Render(video.id(), "480p"));
            ctx.spawn(renditions, new Render(video.id(), "8k"));
            ctx.whenChildrenDone(liveQueue, new GoLive(video.id()));
        }).start();
        jobs.worker(renditions).maxAttempts(1).handle((render, ctx) -> {
            if (render.rendition().equals("8k")) {
                throw new IllegalStateException("codec cannot do 8k");
            }
        }).start();
        List<String> live = new CopyOnWriteArrayList<>();
        jobs.worker(liveQueue).handle((goLive, ctx) -> live.add(goLive.videoId())).start();

        String videoJob = videos.publish(new Video("v2"));

        JobEvent dead = await().until(() -> events.stream()
                .filter(e -> e.jobId().equals(videoJob) && e.type() == JobEvent.Type.DEAD).findFirst().orElse(null),
                e -> e != null);
        assertThat(dead.queue()).isEqualTo("videos");
        assertThat(dead.error().message()).isEqualTo("child job " + videoJob
                + ".2 is dead: java.lang.IllegalStateException: codec cannot do 8k");
        assertThat(live).isEmpty();
        assertThat(succeeded(events, videoJob)).isFalse();
    }

    @Test
    void aChildThatSpawnsItsOwnChildrenIsDoneOnlyWhenTheyAre() {
        SpoolJobs jobs = clients.connect();
        List<JobEvent> events = new CopyOnWriteArrayList<>();
        jobs.events().subscribe("#", events::add);
        JobQueue<Video> videos = jobs.queue("videos", Video.class);
        JobQueue<Render> renditions = jobs.queue("renditions", Render.class);
        JobQueue<GoLive> live = jobs.queue("live", GoLive.class);
        CountDownLatch grandchildGate = new CountDownLatch(1);
        jobs.worker(videos).handle((video, ctx) -> ctx.spawn(renditions, new Render(video.id(), "hls"))).start();
        jobs.worker(renditions).handle((render, ctx) -> {
            if (render.rendition().equals("hls")) {
                ctx.spawn(renditions, new Render(render.videoId(), "hls-segment"));
            } else {
                grandchildGate.await();
            }
        }).start();
        List<String> wentLive = new CopyOnWriteArrayList<>();
        jobs.worker(live).handle((g, ctx) -> wentLive.add(g.videoId())).start();

        String videoJob = videos.publish(new Video("v3"));

        await().until(() -> events.stream().anyMatch(e -> e.jobId().equals(videoJob + ".1.1")
                && e.type() == JobEvent.Type.STARTED));
        await().during(Duration.ofMillis(300)).until(() -> !succeeded(events, videoJob + ".1") && !succeeded(events, videoJob));
        grandchildGate.countDown();

        await().until(() -> succeeded(events, videoJob));
        assertThat(succeeded(events, videoJob + ".1")).isTrue();
        assertThat(events.stream().filter(e -> e.jobId().equals(videoJob + ".1") && e.type() == JobEvent.Type.SUCCEEDED)
                .findFirst().orElseThrow().parentId()).isEqualTo(videoJob);
    }

    @Test
    void whenTheCountingJoinerGoesAwayAnotherProcessFinishesTheJoin() {
        // "first" starts a worker first, so its joiner is the active one.
        SpoolJobs first = clients.connect();
        first.worker(first.queue("unrelated", Video.class)).handle((v, ctx) -> { }).start();
        SpoolJobs second = clients.connect();
        List<JobEvent> events = new CopyOnWriteArrayList<>();
        second.events().subscribe("#", events::add);
        JobQueue<Video> videos = second.queue("videos", Video.class);
        JobQueue<Render> renditions = second.queue("renditions", Render.class);
        JobQueue<GoLive> live = second.queue("live", GoLive.class);
        second.worker(videos).handle((video, ctx) -> {
            ctx.spawn(renditions, new Render(video.id(), "a"));
            ctx.spawn(renditions, new Render(video.id(), "b"));
            ctx.whenChildrenDone(live, new GoLive(video.id()));
        }).start();
        CountDownLatch gateB = new CountDownLatch(1);
        second.worker(renditions).concurrency(2).handle((render, ctx) -> {
            if (render.rendition().equals("b")) {
                gateB.await();
            }
        }).start();
        List<String> wentLive = new CopyOnWriteArrayList<>();
        second.worker(live).handle((g, ctx) -> wentLive.add(g.videoId())).start();

        String videoJob = videos.publish(new Video("v4"));
        await().until(() -> succeeded(events, videoJob + ".1"));

        first.close(); // its joiner held the join record and child 1's record: the broker hands them over
        gateB.countDown();

        await().until(() -> succeeded(events, videoJob));
        assertThat(wentLive).containsExactly("v4");
    }

    private static boolean succeeded(List<JobEvent> events, String jobId) {
        return events.stream().anyMatch(e -> e.jobId().equals(jobId) && e.type() == JobEvent.Type.SUCCEEDED);
    }
}
