package io.spool.broker.model;

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
 */
final class Deduplication {

    /** {@link #admit}'s answer for a duplicate. */
    static final Object DUPLICATE = new Object();

    private final DeduplicationCache cache = new DeduplicationCache();
    private volatile DeduplicationSettings settings = DeduplicationSettings.OFF;
    private long duplicates;

    /** Takes new settings (from a declaration or a policy); turned off, it forgets every key. */
    synchronized void configure(DeduplicationSettings s) {
        settings = s;
        if (s.enabled()) {
            cache.resize(s.cacheSize());
        } else {
            cache.clear();
        }
    }

    boolean enabled() {
        return settings.enabled();
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
        Object key = DeduplicationSettings.keyOf(m);
        if (key == null) {
            return null;
        }
        synchronized (this) {
            long now = System.currentTimeMillis();
            if (cache.contains(key, now)) {
                duplicates++;
                return DUPLICATE;
            }
            cache.put(key, settings.ttlOf(m), DeduplicationCache.NO_POSITION, now);
            return key;
        }
    }

    /** For an exchange: forgets a key {@link #check} remembered, because its message was refused. */
    synchronized void forget(Object key) {
        cache.remove(key);
    }

    /**
     * For a queue, before it stores a message: {@link #DUPLICATE}, or the key to {@link
     * #remember} once the message has a position, or null if it need not be remembered.
     */
    Object admit(Message m) {
        if (!settings.enabled()) {
            return null;
        }
        Object key = DeduplicationSettings.keyOf(m);
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
            Object key = DeduplicationSettings.keyOf(m);
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
