package io.spool.bench.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** The delay benchmark's command line: what delay-benchmark runs when given nothing, and what it refuses. */
class DelayOptionsTest {

    @Test
    void noOptionsRunEveryScenarioOfTheIssue() {
        DelayOptions o = DelayOptions.parse(new String[] {"--spool-home", "/tmp/spool"}, "20261122-010000");

        assertThat(o.lightMessages()).isEqualTo(12_000);
        assertThat(o.bulkMessages()).isEqualTo(1_000_000);
        assertThat(o.heapMessages()).isEqualTo(10_000_000);
        assertThat(o.heapStep()).isEqualTo(1_000_000);
        assertThat(o.bodySize()).isEqualTo(64);
        assertThat(o.consumerRate()).isEqualTo(2000);
        assertThat(o.accuracy()).isTrue();
        assertThat(o.heapRun()).isTrue();
        assertThat(o.overload()).isTrue();
        assertThat(o.resultsDir()).isEqualTo(Path.of("/tmp/spool/spool-bench/results"));
        assertThat(o.workDir()).isEqualTo(Path.of("/tmp/spool/spool-bench/target/delay-benchmark/20261122-010000"));
        assertThat(o.brokerJavaOpts(Path.of("/tmp/gc.log"))).startsWith("-Xmx256m -Xlog:gc:file=/tmp/gc.log");
    }

    @Test
    void optionsOverrideTheDefaultsWithinTheirBounds() {
        DelayOptions o = DelayOptions.parse(new String[] {"--only", "heap", "--heap-messages", "500", "--heap-step",
                "1000", "--body-size", "8", "--results", "/tmp/reports"}, "x");

        assertThat(o.heapRun()).isTrue();
        assertThat(o.accuracy()).isFalse();
        assertThat(o.overload()).isFalse();
        assertThat(o.heapMessages()).isEqualTo(500);
        assertThat(o.heapStep()).as("a step holds at most all the messages").isEqualTo(500);
        assertThat(o.bodySize()).as("a body holds at least the due time and the number").isEqualTo(16);
        assertThat(o.resultsDir()).isEqualTo(Path.of("/tmp/reports"));
    }

    @Test
    void badValuesAreNamedInTheError() {
        assertThatThrownBy(() -> DelayOptions.parse(new String[] {"--spread", "0"}, "x"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("Invalid value for option '--spread': '0' is not positive");
        assertThatThrownBy(() -> DelayOptions.parse(new String[] {"--only", "speed"}, "x"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("Invalid value for option '--only': expected one of [ACCURACY, HEAP, OVERLOAD] "
                        + "(case-insensitive) but was 'speed'");
        assertThatThrownBy(() -> DelayOptions.parse(new String[] {"--bulk"}, "x"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("Missing required parameter for option '--bulk' (N)");
    }
}
