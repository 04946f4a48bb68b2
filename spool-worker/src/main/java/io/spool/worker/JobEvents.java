package io.spool.worker;

import java.util.function.Consumer;

/**
 * Lifecycle events of jobs, published by workers to a topic exchange ({@code spool.events} by
 * default) with the routing key {@code <queue>.<type>}, e.g. {@code thumbnails.succeeded}. An app
 * subscribes to tell its user "your video is ready" over Server-Sent Events or WebSocket.
 *
 * <p>Events are notifications, not a log: a subscription sees those published while it exists
 * (its queue is exclusive and goes away with the connection), so a reconnect can miss a few. Keep
 * the state that matters in your own store, or chain work with {@link JobContext#whenChildrenDone}.
 */
public interface JobEvents {

    /**
     * Calls {@code listener} for every event whose routing key matches {@code pattern}, a topic
     * pattern: {@code thumbnails.*} for one queue, {@code #.dead} for every dead job, {@code #}
     * for all. Listeners of one subscription are called one at a time, in order; keep them quick.
     */
    Subscription subscribe(String pattern, Consumer<JobEvent> listener);
}
