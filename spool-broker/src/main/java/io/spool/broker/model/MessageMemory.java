package io.spool.broker.model;

import java.util.concurrent.atomic.AtomicLong;

/**
 * Bytes of message content the broker holds in memory (cached in queues, in flight to
 * consumers, arriving from publishers), against a high watermark. Crossing it raises the
 * memory alarm; falling back clears it. Queues stop caching bodies well before the watermark
 * ({@link #canCache}), so the alarm means in-flight work, not depth, has grown. Thread-safe.
 */
public final class MessageMemory {

    private final AtomicLong bytes = new AtomicLong();
    private final long highWatermark;
    private final ResourceAlarms alarms;
    private volatile boolean alarm;

    public MessageMemory(long highWatermark, ResourceAlarms alarms) {
        this.highWatermark = highWatermark;
        this.alarms = alarms;
    }

    public void add(long n) {
        long now = bytes.addAndGet(n);
        if (now > highWatermark && !alarm) {
            changeAlarm();
        }
    }

    public void release(long n) {
        long now = bytes.addAndGet(-n);
        if (now <= highWatermark && alarm) {
            changeAlarm();
        }
    }

    /** Whether a queue may keep another {@code n} bytes of message bodies cached in memory. */
    public boolean canCache(long n) {
        return bytes.get() + n <= highWatermark / 2;
    }

    private synchronized void changeAlarm() {
        boolean shouldBeRaised = bytes.get() > highWatermark;
        if (shouldBeRaised != alarm) {
            alarm = shouldBeRaised;
            alarms.memory(shouldBeRaised);
        }
    }

    public boolean alarm() {
        return alarm;
    }

    public long bytes() {
        return bytes.get();
    }

    public long highWatermark() {
        return highWatermark;
    }
}
