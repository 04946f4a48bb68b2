package io.spool.bench.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** The store benchmark's command line: what store-benchmark runs when given nothing, and what it refuses. */
class BenchOptionsTest {

    @Test
    void noOptionsRunTheIssuesScenarioIntoTheCheckoutsDirectories() {
        BenchOptions o = BenchOptions.parse(new String[] {"--spool-home", "/tmp/spool"}, "20261122-010000");

        assertThat(o.messages()).isEqualTo(1_000_000);
        assertThat(o.bodySize()).isEqualTo(1024);
        assertThat(o.sliceSize()).isEqualTo(100_000);
        assertThat(o.publishers()).containsExactly(1, 4, 16);
        assertThat(o.scalingWindows()).containsExactly(1, 1000);
        assertThat(o.fillAndDrain()).isTrue();
        assertThat(o.scaling()).isTrue();
        assertThat(o.revision()).isEqualTo("unknown");
        assertThat(o.resultsDir()).isEqualTo(Path.of("/tmp/spool/spool-bench/results"));
        assertThat(o.workDir()).isEqualTo(Path.of("/tmp/spool/spool-bench/target/store-benchmark/20261122-010000"));
        assertThat(o.brokerJavaOpts(Path.of("/tmp/gc.log"))).startsWith("-Xmx256m -Xlog:gc:file=/tmp/gc.log");
    }

    @Test
    void optionsOverrideTheDefaultsWithinTheirBounds() {
        BenchOptions o = BenchOptions.parse(new String[] {"--only", "fill-drain", "--messages", "5000", "--body-size",
                "4", "--publishers", "2,8", "--heap", "1g"}, "x");

        assertThat(o.fillAndDrain()).isTrue();
        assertThat(o.scaling()).isFalse();
        assertThat(o.messages()).isEqualTo(5000);
        assertThat(o.sliceSize()).as("a slice holds at most all the messages").isEqualTo(5000);
        assertThat(o.bodySize()).as("a body holds at least the message's number").isEqualTo(8);
        assertThat(o.publishers()).containsExactly(2, 8);
        assertThat(o.brokerJavaOpts(Path.of("/tmp/gc.log"))).startsWith("-Xmx1g ");
    }

    @Test
    void optionGivenAgainTakesItsLastValueAsAfterTheScriptsOwn() {
        BenchOptions o = BenchOptions.parse(new String[] {"--revision", "abc1234", "--revision", "mine"}, "x");

        assertThat(o.revision()).isEqualTo("mine");
    }

    @Test
    void badValuesAreNamedInTheError() {
        assertThatThrownBy(() -> BenchOptions.parse(new String[] {"--window", "-1"}, "x"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("Invalid value for option '--window': '-1' is not positive");
        assertThatThrownBy(() -> BenchOptions.parse(new String[] {"--publishers", "1,four"}, "x"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("Invalid value for option '--publishers' (N): 'four' is not an int");
        assertThatThrownBy(() -> BenchOptions.parse(new String[] {"--only", "drain"}, "x"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("--only")
                .hasMessageContaining("fill-drain")
                .hasMessageEndingWith("but was 'drain'");
    }
}
