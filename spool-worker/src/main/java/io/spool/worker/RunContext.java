package io.spool.worker;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The context of one attempt. Child jobs and the follow-up are only collected here; the worker
 * publishes them after the handler returns normally.
 */
final class RunContext implements JobContext {

    /** A child job ready to publish. */
    record Child(String id, OutgoingMessage message) {
    }

    /** The job to publish when every child has succeeded. */
    record FollowUp(String queue, JsonNode job) {
    }

    private final SpoolJobsClient client;
    private final String jobId;
    private final String queue;
    private final int attempt;
    private final int maxAttempts;
    private final boolean redelivered;
    private final Instant deadline;
    private final String dedupKey;
    private final String parentId;
    private final List<Child> children = new ArrayList<>();
    private FollowUp followUp;

    RunContext(SpoolJobsClient client, String jobId, String queue, int attempt, int maxAttempts, boolean redelivered,
               Instant deadline, String dedupKey, String parentId) {
        this.client = client;
        this.jobId = jobId;
        this.queue = queue;
        this.attempt = attempt;
        this.maxAttempts = maxAttempts;
        this.redelivered = redelivered;
        this.deadline = deadline;
        this.dedupKey = dedupKey;
        this.parentId = parentId;
    }

    @Override
    public String jobId() {
        return jobId;
    }

    @Override
    public String queue() {
        return queue;
    }

    @Override
    public int attempt() {
        return attempt;
    }

    @Override
    public int maxAttempts() {
        return maxAttempts;
    }

    @Override
    public boolean redelivered() {
        return redelivered;
    }

    @Override
    public Instant deadline() {
        return deadline;
    }

    @Override
    public Optional<String> dedupKey() {
        return Optional.ofNullable(dedupKey);
    }

    @Override
    public Optional<String> parentId() {
        return Optional.ofNullable(parentId);
    }

    @Override
    public synchronized <C> String spawn(JobQueue<C> queue, C job) {
        AmqpJobQueue<C> q = client.own(queue);
        String childId = jobId + "." + (children.size() + 1);
        children.add(new Child(childId, q.message(job, childId, null, jobId)));
        return childId;
    }

    @Override
    public synchronized <C> void whenChildrenDone(JobQueue<C> queue, C job) {
        if (followUp != null) {
            throw new IllegalStateException("whenChildrenDone was already called for job " + jobId);
        }
        AmqpJobQueue<C> q = client.own(queue);
        q.toJson(job); // fails now, in the handler, if the job cannot be written
        followUp = new FollowUp(q.name(), client.mapper().valueToTree(job));
    }

    synchronized List<Child> children() {
        return List.copyOf(children);
    }

    synchronized FollowUp followUp() {
        return followUp;
    }
}
