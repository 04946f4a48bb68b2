package io.spool.bench.compare;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The comparison reads the script's scenario table, its command line and PerfTest's output;
 * these pin the formats it expects, and that {@code --quick} shrinks what it says it does.
 */
class CompareParsingTest {

    private static final List<String> TABLE = List.of(
            "# id | name | kind | seconds | quick | flags",
            "1 | transient | flow  | 20  | 6            | -x 1 -y 1 -s 16 -a",
            "",
            "5 | backlog   | fill  | 900 | 120 -C 20000 | -x 1 -y 0 -C 1000000 -u compare-backlog -c 100",
            "5 | backlog   | drain | 600 | 60 -D 20000  | -x 0 -y 1 -D 1000000 -u compare-backlog -p -q 100");

    @Test
    void tableGivesScenariosWithTheirPhasesInOrder() {
        List<Scenario> scenarios = ScenarioTable.parse(TABLE, false);

        assertThat(scenarios).extracting(Scenario::title).containsExactly("1 transient", "5 backlog");
        Scenario backlog = scenarios.get(1);
        assertThat(backlog.heavy()).isTrue();
        assertThat(backlog.phases()).extracting(ScenarioPhase::kind).containsExactly(PhaseKind.FILL, PhaseKind.DRAIN);
        ScenarioPhase fill = backlog.phases().get(0);
        assertThat(fill.seconds()).isEqualTo(900);
        assertThat(fill.flag("-C", "--pmessages", "0")).isEqualTo("1000000");
        assertThat(fill.queue()).isEqualTo("compare-backlog");
        assertThat(fill.connections()).isEqualTo(1);
    }

    @Test
    void quickTakesTheSecondsAndFlagValuesOfTheQuickColumnAndKeepsTheRest() {
        List<Scenario> scenarios = ScenarioTable.parse(TABLE, true);

        assertThat(scenarios.get(0).phases().get(0).seconds()).isEqualTo(6);
        assertThat(scenarios.get(0).phases().get(0).commandLine()).isEqualTo("-x 1 -y 1 -s 16 -a");
        ScenarioPhase fill = scenarios.get(1).phases().get(0);
        assertThat(fill.seconds()).isEqualTo(120);
        assertThat(fill.commandLine()).isEqualTo("-x 1 -y 0 -C 20000 -u compare-backlog -c 100");
        assertThat(scenarios.get(1).phases().get(1).commandLine()).isEqualTo("-x 0 -y 1 -D 20000 -u compare-backlog -p -q 100");
    }

    @Test
    void quickColumnNamingAFlagTheLineDoesNotGiveIsRefused() {
        List<String> table = List.of("7 | idle | clients | 15 | 5 -x 200 | -y 5000 -u compare-idle");

        assertThatThrownBy(() -> ScenarioTable.parse(table, true))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("quick column changes -x, which the flags do not give");
    }

    @Test
    void lineWithoutTheQuickColumnIsRefused() {
        assertThatThrownBy(() -> ScenarioTable.parse(List.of("1 | transient | flow | 20 | -x 1 -y 1"), false))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("needs 6 columns");
    }

    @Test
    void quickOptionShortensThePausesAndKeepsItsReportOutOfTheResults() {
        CompareOptions full = CompareOptions.parse(args(), "20261122-010000");
        CompareOptions quick = CompareOptions.parse(args("--quick", "--rounds", "1"), "20261122-010000");

        assertThat(full.quick()).isFalse();
        assertThat(full.rounds()).isEqualTo(3);
        assertThat(full.warmupSeconds()).isEqualTo(5);
        assertThat(full.resultsDir()).isEqualTo(java.nio.file.Path.of("/tmp/spool/spool-bench/results"));
        assertThat(quick.quick()).isTrue();
        assertThat(quick.rounds()).isEqualTo(1);
        assertThat(quick.warmupSeconds()).isEqualTo(2);
        assertThat(quick.settleSeconds()).isEqualTo(2);
        assertThat(quick.resultsDir()).isEqualTo(quick.workDir());
        assertThat(CompareOptions.parse(args("--quick", "--warmup", "4"), "x").warmupSeconds()).isEqualTo(4);
    }

    @Test
    void spoolJavaOptsArePassedOnAsGiven() {
        assertThat(CompareOptions.parse(args("--spool-java-opts", " -Xmx1g -XX:+UseZGC "), "x").spoolJavaOpts())
                .isEqualTo("-Xmx1g -XX:+UseZGC");
        assertThat(CompareOptions.parse(args("--spool-java-opts", "@/tmp/broker.opts"), "x").spoolJavaOpts())
                .isEqualTo("@/tmp/broker.opts");
        assertThat(CompareOptions.parse(args(), "x").spoolJavaOpts()).isEmpty();
    }

    @Test
    void heavyScenariosTakeTheRoundsUnlessGivenTheirOwn() {
        assertThat(CompareOptions.parse(args("--rounds", "2"), "x").heavyRounds()).isEqualTo(2);
        assertThat(CompareOptions.parse(args("--rounds", "2", "--heavy-rounds", "1"), "x").heavyRounds()).isEqualTo(1);
    }

    @Test
    void brokersOptionNamesThemInLowerCase() {
        assertThat(CompareOptions.parse(args(), "x").brokers()).containsExactly(BrokerKind.RABBITMQ, BrokerKind.SPOOL);
        assertThat(CompareOptions.parse(args("--brokers", "spool"), "x").brokers()).containsExactly(BrokerKind.SPOOL);
    }

    @Test
    void badOptionValuesAreNamedInTheError() {
        assertThatThrownBy(() -> CompareOptions.parse(args("--rounds", "three"), "x"))
                .hasMessage("Invalid value for option '--rounds': 'three' is not an int");
        assertThatThrownBy(() -> CompareOptions.parse(args("--rounds", "0"), "x"))
                .hasMessage("Invalid value for option '--rounds': '0' is not positive");
        assertThatThrownBy(() -> CompareOptions.parse(args("--brokers", "kafka"), "x"))
                .hasMessage("Invalid value for option '--brokers' (BROKER): expected one of [RABBITMQ, SPOOL] "
                        + "(case-insensitive) but was 'kafka'");
        assertThatThrownBy(() -> CompareOptions.parse(args("--fast"), "x"))
                .hasMessage("Unknown option: '--fast'");
        assertThatThrownBy(() -> CompareOptions.parse(args("--rounds"), "x"))
                .hasMessage("Missing required parameter for option '--rounds' (N)");
    }

    @Test
    void whatTheScriptPassesIsRequired() {
        assertThatThrownBy(() -> CompareOptions.parse(new String[] {"--quick"}, "x"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("Missing required options: '--scenario-table=FILE', '--perftest-classpath=CP'");
    }

    @Test
    void perfTestSecondLineGivesRatesAndConsumerLatency() {
        PerfTestSample s = PerfTestSample.parse("id: test-004443-639, time 27.001 s, sent: 218628 msg/s, received: "
                + "199372 msg/s, min/median/75th/95th/99th consumer latency: 59/55100/143934/202013/209631 µs");

        assertThat(s).isEqualTo(new PerfTestSample(27.001, 218628, 199372, 55100, 209631));
    }

    @Test
    void perfTestPublisherOnlyLineHasNoReceivedRateOrConsumerLatency() {
        PerfTestSample s = PerfTestSample.parse("id: test-010957-234, time 26.001 s, sent: 47169 msg/s, confirmed: "
                + "47139 msg/s, nacked: 0 msg/s, min/median/75th/95th/99th confirm latency: 343/993/1438/5013/8408 µs");

        assertThat(s).isEqualTo(new PerfTestSample(26.001, 47169, -1, -1, -1));
        assertThat(PerfTestSample.parse("id: test-004443-639, starting producer #0")).isNull();
    }

    @Test
    void perfTestSummaryGivesTheAveragesAndWhyItStopped() {
        PerfTestSummary summary = new PerfTestSummary();
        for (String line : List.of("test stopped (Producer reached message limit)",
                "id: test-010957-234, sending rate avg: 37519 msg/s",
                "id: test-010957-234, receiving rate avg: 0 msg/s")) {
            summary.offer(line);
        }

        assertThat(summary.stopReason()).isEqualTo("Producer reached message limit");
        assertThat(summary.sendingRate()).isEqualTo(37519);
        assertThat(summary.receivingRate()).isZero();
    }

    @Test
    void windowWeighsEachRateByItsIntervalAndLeavesTheWarmUpOut() {
        UsageSnapshot u = new UsageSnapshot(0, 0, 0, 0, 0);
        List<TimedSample> samples = List.of(
                new TimedSample(new PerfTestSample(1.0, 500, 500, 10_000, 90_000), u),
                new TimedSample(new PerfTestSample(2.0, 1000, 900, 1_000, 4_000), u),
                new TimedSample(new PerfTestSample(3.0, 1000, 1000, 2_000, 6_000), u),
                new TimedSample(new PerfTestSample(5.0, 2000, 2000, 3_000, 8_000), u));

        SampleWindow w = SampleWindow.after(samples, 2.0);

        assertThat(w.seconds()).isEqualTo(3.0);
        assertThat(w.sentMessages()).isEqualTo(1000 + 2 * 2000);
        assertThat(w.publishRate()).isEqualTo(5000 / 3.0);
        assertThat(w.latencyMedianMillis()).isEqualTo(2.5);
        assertThat(w.latencyP99Millis()).isEqualTo(7.0);
    }

    private static String[] args(String... extra) {
        List<String> all = new java.util.ArrayList<>(List.of("--spool-home", "/tmp/spool", "--scenario-table",
                "/tmp/scenarios.txt", "--perftest-classpath", "/tmp/perftest/*"));
        all.addAll(List.of(extra));
        return all.toArray(String[]::new);
    }
}
