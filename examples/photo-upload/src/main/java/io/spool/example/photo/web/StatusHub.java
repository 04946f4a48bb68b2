package io.spool.example.photo.web;

import java.util.Map;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;

/**
 * Hands news about an upload to everyone watching it: each open status stream registers a
 * {@link Watch} and takes what arrives from its queue. News is whatever happened (a job event)
 * and is read by the stream on its own thread, so the event listener never waits on a slow
 * browser.
 *
 * <p>Thread-safe.
 */
final class StatusHub {

    /** Something happened to an upload; {@code activity} says what, for a person. */
    record News(String uploadId, String activity) {
    }

    /** One watcher's inbox; close it when the stream ends. */
    final class Watch implements AutoCloseable {
        final String uploadId;
        final BlockingQueue<News> inbox = new LinkedBlockingQueue<>();

        private Watch(String uploadId) {
            this.uploadId = uploadId;
        }

        @Override
        public void close() {
            watchers.computeIfPresent(uploadId, (id, set) -> {
                set.remove(this);
                return set.isEmpty() ? null : set;
            });
        }
    }

    private final Map<String, Set<Watch>> watchers = new ConcurrentHashMap<>();

    Watch watch(String uploadId) {
        Watch w = new Watch(uploadId);
        watchers.compute(uploadId, (id, set) -> {
            Set<Watch> s = set == null ? ConcurrentHashMap.newKeySet() : set;
            s.add(w);
            return s;
        });
        return w;
    }

    void publish(News news) {
        Set<Watch> set = watchers.get(news.uploadId());
        if (set != null) {
            for (Watch w : set) {
                w.inbox.add(news);
            }
        }
    }
}
