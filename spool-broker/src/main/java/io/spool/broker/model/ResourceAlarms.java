package io.spool.broker.model;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * The broker's resource alarms, memory and disk. While any is on, publishing connections are
 * blocked; when the last clears, listeners are told so they can read again. Thread-safe.
 */
public final class ResourceAlarms {

    /** Told when every alarm has cleared (on the thread that cleared the last). */
    public interface ClearedListener {
        void alarmsCleared();
    }

    private volatile boolean memory;
    private volatile boolean disk;
    private final List<ClearedListener> listeners = new CopyOnWriteArrayList<>();

    public void addListener(ClearedListener l) {
        listeners.add(l);
    }

    public void memory(boolean on) {
        change(true, on);
    }

    public void disk(boolean on) {
        change(false, on);
    }

    /**
     * Sets one alarm. The other is read under the lock too: read before it, a stale value
     * written back would undo a change another thread just made to that alarm.
     */
    private void change(boolean isMemory, boolean on) {
        boolean notify;
        synchronized (this) {
            boolean wasOn = memory || disk;
            if (isMemory) {
                memory = on;
            } else {
                disk = on;
            }
            notify = wasOn && !memory && !disk;
        }
        if (notify) {
            for (ClearedListener l : listeners) {
                l.alarmsCleared();
            }
        }
    }

    public boolean any() {
        return memory || disk;
    }

    public boolean memory() {
        return memory;
    }

    public boolean disk() {
        return disk;
    }

    /** As RabbitMQ words it in connection.blocked: "low on memory", "low on disk", or both. */
    public String reason() {
        if (memory && disk) {
            return "low on memory & disk";
        }
        return memory ? "low on memory" : disk ? "low on disk" : "";
    }
}
