package io.spool.broker.model;

import io.netty.util.collection.LongObjectHashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The message keys an exchange or a queue remembers, oldest first. When it is full the oldest
 * key is forgotten (the plugin forgets an unspecified one; the oldest is the one least likely
 * to be retried); a key whose TTL has passed is forgotten when next looked up or crowded out. A queue also ties each key to the position of
 * the message that carries it, so the key is released when that message leaves the queue.
 *
 * <p>In memory; an exchange that keeps its keys on disk logs what it puts and removes here
 * ({@link Deduplication}). Not thread-safe: its owner's lock guards it ({@link Deduplication}).
 */
final class DeduplicationCache {

    /** Not a queue position: the key of an exchange, released only by age or by its TTL. */
    static final long NO_POSITION = -1;

    private record Entry(long expiresAt, long position) {}

    private final LinkedHashMap<Object, Entry> entries = new LinkedHashMap<>();
    private final LongObjectHashMap<Object> keysByPosition = new LongObjectHashMap<>();
    private int maxSize = DeduplicationSettings.UNBOUNDED;

    /** True if the key is remembered and its TTL has not passed. */
    boolean contains(Object key, long now) {
        Entry e = entries.get(key);
        if (e == null) {
            return false;
        }
        if (e.expiresAt <= now) {
            forget(key, e);
            return false;
        }
        return true;
    }

    /**
     * Remembers a key for {@code ttl} ms (-1: until crowded out), making room if full. Returns
     * when it is forgotten (epoch ms; Long.MAX_VALUE for never).
     */
    long put(Object key, long ttl, long position, long now) {
        Entry old = entries.remove(key);
        if (old != null) {
            forgetPosition(old);
        }
        while (entries.size() >= maxSize) {
            evictOldest();
        }
        long expiresAt = ttl < 0 ? Long.MAX_VALUE : now + ttl;
        entries.put(key, new Entry(expiresAt, position));
        if (position != NO_POSITION) {
            keysByPosition.put(position, key);
        }
        return expiresAt;
    }

    /** Remembers a key until {@code expiresAt} (epoch ms), as read back from a log. */
    void putUntil(Object key, long expiresAt) {
        remove(key);
        while (entries.size() >= maxSize) {
            evictOldest();
        }
        entries.put(key, new Entry(expiresAt, NO_POSITION));
    }

    int size() {
        return entries.size();
    }

    /** Calls {@code action} with each key whose TTL has not passed and its expiry, oldest first. */
    void forEachLive(long now, KeyAction action) {
        for (Map.Entry<Object, Entry> e : entries.entrySet()) {
            if (e.getValue().expiresAt > now) {
                action.accept(e.getKey(), e.getValue().expiresAt);
            }
        }
    }

    interface KeyAction {
        void accept(Object key, long expiresAt);
    }

    /** Forgets a key, whatever it is tied to. */
    void remove(Object key) {
        Entry e = entries.get(key);
        if (e != null) {
            forget(key, e);
        }
    }

    /** The message at this queue position has left: its key, if it still holds one, is released. */
    void release(long position) {
        if (keysByPosition.isEmpty()) {
            return;
        }
        Object key = keysByPosition.remove(position);
        if (key != null) {
            Entry e = entries.get(key);
            if (e != null && e.position == position) {
                entries.remove(key);
            }
        }
    }

    /** Takes a new size limit, forgetting the oldest keys beyond it. */
    void resize(int newMaxSize) {
        maxSize = newMaxSize;
        while (entries.size() > maxSize) {
            evictOldest();
        }
    }

    void clear() {
        entries.clear();
        keysByPosition.clear();
    }

    private void evictOldest() {
        Iterator<Map.Entry<Object, Entry>> it = entries.entrySet().iterator();
        Map.Entry<Object, Entry> oldest = it.next();
        it.remove();
        forgetPosition(oldest.getValue());
    }

    private void forget(Object key, Entry e) {
        entries.remove(key);
        forgetPosition(e);
    }

    private void forgetPosition(Entry e) {
        if (e.position != NO_POSITION) {
            keysByPosition.remove(e.position);
        }
    }
}
