package io.spool.broker.model;

import java.util.concurrent.atomic.AtomicLong;

/**
 * Bytes of message content the broker holds in memory, against a high watermark. Crossing the
 * watermark raises the memory alarm (publishers are blocked until it clears); falling back
 * below clears it and calls the listener. Thread-safe.
 */
public final class MessageMemory {

    /** Told when the alarm is raised or cleared; called on whichever thread crossed the mark. */
    public interface AlarmListener {
        void memoryAlarmChanged(boolean raised);
    }

    private final AtomicLong bytes = new AtomicLong();
    private final long highWatermark;
    private volatile boolean alarm;
    private volatile AlarmListener listener = raised -> { };

    public MessageMemory(long highWatermark) {
        this.highWatermark = highWatermark;
    }

    public void listener(AlarmListener listener) {
        this.listener = listener;
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

    private synchronized void changeAlarm() {
        boolean shouldBeRaised = bytes.get() > highWatermark;
        if (shouldBeRaised != alarm) {
            alarm = shouldBeRaised;
            listener.memoryAlarmChanged(shouldBeRaised);
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
