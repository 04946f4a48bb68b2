package io.spool.broker.model;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * The memory and disk alarms are raised and cleared by different threads (the memory
 * accounting of any connection, the disk monitor); neither may undo the other.
 */
class ResourceAlarmsTest {

    @Test
    void theDiskAlarmIsNeitherLostNorRevivedWhileTheMemoryAlarmFlaps() throws Exception {
        ResourceAlarms alarms = new ResourceAlarms();
        AtomicBoolean stop = new AtomicBoolean();
        AtomicLong flaps = new AtomicLong();
        Thread memory = Thread.ofPlatform().daemon().start(() -> {
            while (!stop.get()) {
                alarms.memory(true);
                alarms.memory(false);
                flaps.incrementAndGet();
            }
        });
        try {
            for (int round = 0; round < 20_000; round++) {
                boolean low = round % 2 == 0;
                alarms.disk(low);
                // Let the memory thread finish whatever call it was in, and make another.
                long seen = flaps.get();
                while (flaps.get() < seen + 2) {
                    Thread.onSpinWait();
                }
                assertThat(alarms.disk()).as("disk alarm after round %d set it to %s", round, low).isEqualTo(low);
            }
        } finally {
            stop.set(true);
            memory.join();
        }
    }
}
