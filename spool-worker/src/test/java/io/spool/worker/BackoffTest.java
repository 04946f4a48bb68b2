package io.spool.worker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class BackoffTest {

    @Test
    void delaysDoubleFromTheInitialUpToTheMax() {
        Backoff b = new Backoff(Duration.ofSeconds(1), Duration.ofMinutes(5), 0.5);

        assertThat(b.levelMillis(1)).isEqualTo(1_000);
        assertThat(b.levelMillis(2)).isEqualTo(2_000);
        assertThat(b.levelMillis(9)).isEqualTo(256_000);
        assertThat(b.levelMillis(10)).isEqualTo(300_000);
        assertThat(b.levelMillis(99)).isEqualTo(300_000);
    }

    @Test
    void jitterSpreadsALevelOverFourWaitQueuesFromItsShareBelowUpToTheFullDelay() {
        Backoff b = new Backoff(Duration.ofSeconds(1), Duration.ofMinutes(5), 0.5);

        assertThat(b.bucketsMillis(6_000)).containsExactly(6_000, 5_000, 4_000, 3_000);
        assertThat(b.pickMillis(3, 0.0)).isEqualTo(4_000);
        assertThat(b.pickMillis(3, 0.3)).isEqualTo(3_333);
        assertThat(b.pickMillis(3, 0.999)).isEqualTo(2_000);
    }

    @Test
    void withoutJitterEachLevelHasOneWaitQueue() {
        Backoff b = new Backoff(Duration.ofSeconds(1), Duration.ofSeconds(5), 0);

        assertThat(b.allBucketsMillis(6)).containsExactly(1_000, 2_000, 4_000, 5_000);
        assertThat(b.pickMillis(2, 0.9)).isEqualTo(2_000);
        assertThat(new Backoff(Duration.ofSeconds(1), Duration.ofSeconds(5), 0.5).allBucketsMillis(1)).isEmpty();
    }

    @Test
    void badBackoffSettingsAreRefusedNamingTheSetting() {
        WorkerBuilder<String> w = new WorkerBuilder<>(null, b -> null);

        assertThatThrownBy(() -> w.backoff(Duration.ofSeconds(2), Duration.ofSeconds(1)))
                .hasMessage("max backoff PT1S is below the initial PT2S");
        assertThatThrownBy(() -> w.backoff(Duration.ofNanos(10), Duration.ofSeconds(1)))
                .hasMessage("initial backoff must be at least 1 ms, got PT0.00000001S");
        assertThatThrownBy(() -> w.jitter(1.5)).hasMessage("jitter must be between 0 and 1, got 1.5");
        assertThatThrownBy(() -> w.concurrency(0)).hasMessage("concurrency must be at least 1, got 0");
        assertThatThrownBy(() -> w.concurrency(4).prefetch(2).handle((j, c) -> { }).start())
                .hasMessage("prefetch 2 is below the concurrency 4: handlers would sit idle");
        assertThatThrownBy(() -> new WorkerBuilder<String>(null, b -> null).start())
                .hasMessage("no handler: call handle(...) before start()");
    }
}
