package io.spool.broker.model;

import io.spool.broker.store.DeduplicationLog;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The deduplication of one exchange or queue: its settings, the keys it remembers and how many
 * duplicates it dropped. Thread-safe; an exchange's publishers race through it, a queue calls it
 * under its own lock (uncontended, so cheap). With deduplication off, every call returns after
 * one volatile read.
 *
 * <p>An exchange remembers a key until its TTL passes or newer keys crowd it out, whether or
 * not the message is still anywhere. A queue remembers a key while the message carrying it is
 * in the queue, ready or unacknowledged (and within the TTL and size bounds, if it has them);
 * the key is released when the message is acked, dropped, expired, dead-lettered or purged.
 * These are the plugin's two semantics.
 *
 * <p>An exchange that keeps its keys on disk has a {@link DeduplicationLog}: every key
 * remembered or forgotten is logged, under this object's lock, before the message goes on to
 * its queues. The log is rewritten with the live keys once it holds more than twice as many
 * records as the cache holds keys (and at least {@link #MIN_LOG_REWRITE}).
 */
final class Deduplication {

    private static final Logger log = LoggerFactory.getLogger(Deduplication.class);

    /** Records a log holds before it is worth rewriting, however few keys are live. */
    static final int MIN_LOG_REWRITE = 1024;

    /** {@link #admit}'s answer for a duplicate. */
    static final Object DUPLICATE = new Object();

    private final DeduplicationCache cache = new DeduplicationCache();
    private volatile DeduplicationSettings settings = DeduplicationSettings.OFF;
    private long duplicates;
    private volatile DeduplicationLog keyLog;
    /** The log's record count at which it is rewritten next. */
    private long rewriteAt;

    /** Takes new settings (from a declaration or a policy); turned off, it forgets every key. */
    synchronized void configure(DeduplicationSettings s) {
        settings = s;
        if (s.enabled()) {
            cache.resize(s.cacheSize());
        } else {
            cache.clear();
        }
        if (keyLog != null) {
            // Keys dropped for a smaller size must not come back from the log later.
            rewriteLog(System.currentTimeMillis());
        }
    }

    boolean enabled() {
        return settings.enabled();
    }

    /** Keys are to be kept on disk ({@code x-cache-persistence: disk}). */
    boolean onDisk() {
        DeduplicationSettings s = settings;
        return s.enabled() && s.onDisk();
    }

    /**
     * For an exchange: {@link #DUPLICATE} if a message with this one's key was seen within the
     * cache's memory; otherwise the key, remembered from now on (null if the message has none or
     * deduplication is off). One lock around look-up and insert: of two publishers racing with
     * one key, one gets through.
     */
    Object check(Message m) {
        if (!settings.enabled()) {
            return null;
        }
        Object key = DeduplicationKeys.of(m);
        if (key == null) {
            return null;
        }
        synchronized (this) {
            long now = System.currentTimeMillis();
            if (cache.contains(key, now)) {
                duplicates++;
                return DUPLICATE;
            }
            long expiresAt = cache.put(key, settings.ttlOf(m), DeduplicationCache.NO_POSITION, now);
            if (keyLog != null) {
                keyLog.remembered(DeduplicationKeys.encode(key), expiresAt);
                rewriteLogIfDue(now);
            }
            return key;
        }
    }

    /** For an exchange: forgets a key {@link #check} remembered, because its message was refused. */
    synchronized void forget(Object key) {
        cache.remove(key);
        if (keyLog != null) {
            keyLog.forgotten(DeduplicationKeys.encode(key));
        }
    }

    /**
     * For an exchange that keeps its keys on disk: takes the keys its log holds (oldest first,
     * within the current cache size), then logs every key from now on. The log is rewritten at
     * once, so what a crash left behind is replaced by a clean copy.
     */
    synchronized void attachLog(DeduplicationLog keyLog) throws IOException {
        long now = System.currentTimeMillis();
        for (DeduplicationLog.Replayed r : keyLog.replayed()) {
            Object key;
            try {
                key = DeduplicationKeys.decode(r.key());
            } catch (RuntimeException e) {
                log.warn("{}: skipping a key that cannot be read: {}", keyLog, e.toString());
                continue;
            }
            if (r.forgotten() || r.expiresAt() <= now) {
                cache.remove(key);
            } else {
                cache.putUntil(key, r.expiresAt());
            }
        }
        keyLog.rewrite(liveEntries(now));
        this.keyLog = keyLog;
        rewriteAt = keyLog.records() + nextRewrite();
    }

    boolean hasLog() {
        return keyLog != null;
    }

    /**
     * A group-commit generation after every key this exchange has logged: a publish that
     * remembered or forgot a key is confirmed (or nacked) once it is durable. 0 without a log.
     */
    long keyLogGeneration() {
        DeduplicationLog l = keyLog;
        return l == null ? 0 : l.generation();
    }

    /** The log, if keys are kept on disk; null if not. */
    synchronized DeduplicationLog detachLog() {
        DeduplicationLog l = keyLog;
        keyLog = null;
        return l;
    }

    private void rewriteLogIfDue(long now) {
        if (keyLog.records() >= rewriteAt) {
            rewriteLog(now);
        }
    }

    private void rewriteLog(long now) {
        try {
            keyLog.rewrite(liveEntries(now));
        } catch (IOException e) {
            // Appends go on into the current segment; the next try waits for as many again.
            log.error("cannot rewrite {}: {}", keyLog, e.toString());
        }
        rewriteAt = keyLog.records() + nextRewrite();
    }

    private long nextRewrite() {
        return Math.max(MIN_LOG_REWRITE, 2L * cache.size());
    }

    private List<DeduplicationLog.Entry> liveEntries(long now) {
        List<DeduplicationLog.Entry> live = new ArrayList<>(cache.size());
        cache.forEachLive(now, (key, expiresAt) -> live.add(new DeduplicationLog.Entry(DeduplicationKeys.encode(key),
                expiresAt)));
        return live;
    }

    /**
     * For a queue, before it stores a message: {@link #DUPLICATE}, or the key to {@link
     * #remember} once the message has a position, or null if it need not be remembered.
     */
    Object admit(Message m) {
        if (!settings.enabled()) {
            return null;
        }
        Object key = DeduplicationKeys.of(m);
        if (key == null) {
            return null;
        }
        synchronized (this) {
            if (cache.contains(key, System.currentTimeMillis())) {
                duplicates++;
                return DUPLICATE;
            }
            return key;
        }
    }

    /**
     * For a queue: the message with this key is now at this position. Its key is remembered for
     * the cache's TTL (or the message's own {@code x-cache-ttl}), but not past {@code expiresAt},
     * when the message itself expires (epoch ms; Long.MAX_VALUE for never).
     */
    synchronized void remember(Object key, Message m, long position, long expiresAt) {
        DeduplicationSettings s = settings;
        if (!s.enabled()) {
            return;
        }
        long now = System.currentTimeMillis();
        long ttl = s.ttlOf(m);
        if (expiresAt != Long.MAX_VALUE) {
            long untilExpiry = Math.max(0, expiresAt - now);
            ttl = ttl < 0 ? untilExpiry : Math.min(ttl, untilExpiry);
        }
        cache.put(key, ttl, position, now);
    }

    /** For a queue: remembers the key of a message that is (again) in the queue, if it has one. */
    void remember(Message m, long position, long expiresAt) {
        if (settings.enabled()) {
            Object key = DeduplicationKeys.of(m);
            if (key != null) {
                remember(key, m, position, expiresAt);
            }
        }
    }

    /** For a queue: the message at this position has left the queue. */
    void release(long position) {
        if (settings.enabled()) {
            synchronized (this) {
                cache.release(position);
            }
        }
    }

    synchronized void clear() {
        cache.clear();
    }

    /** Messages dropped as duplicates since start. */
    synchronized long duplicates() {
        return duplicates;
    }
}
