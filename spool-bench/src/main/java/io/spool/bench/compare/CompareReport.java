package io.spool.bench.compare;

import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * The markdown report of a comparison: medians side by side with the ratio Spool / RabbitMQ,
 * the issue's aims, every round's figures, and every note of what went wrong.
 */
final class CompareReport {

    private final CompareOptions options;
    private final List<Scenario> scenarios;
    private final List<RunResult> results;
    private final StringBuilder md = new StringBuilder();

    CompareReport(CompareOptions options, List<Scenario> scenarios, List<RunResult> results) {
        this.options = options;
        this.scenarios = scenarios;
        this.results = results;
    }

    String markdown(String started, String finished, String machine, String jdk, String loadAtStart, String loadAtEnd) {
        md.setLength(0);
        line("# Spool and RabbitMQ side by side (%s)%s", started, options.quick() ? ", quick smoke run" : "");
        line("");
        if (options.quick()) {
            line("> A `--quick` run: the scenarios cut down (the table's quick column: fewer messages, queues,");
            line("> connections and seconds) to prove the harness end to end. Its figures are not the comparison.");
            line("");
        }
        line("- Machine: %s; %s. Load average (1/5/15 min) %s at the start, %s at the end (%s).",
                machine, jdk, loadAtStart, loadAtEnd, finished);
        line("- Others' CPU while we measured: %s (median over runs; the machine is shared).", othersLoad());
        line("- Spool %s, `bin/spool server`, JAVA_OPTS %s.", options.revision(),
                options.spoolJavaOpts().isEmpty() ? "empty (JVM defaults: G1, heap up to 1/4 of RAM)"
                        : "`" + options.spoolJavaOpts() + "`");
        line("- RabbitMQ %s from Debian's package, defaults (no plugins, no config file: memory high watermark "
                + "40%% of RAM, disk free limit 50 MB), its own scratch directory and epmd.", options.rabbitVersion());
        line("- Load from PerfTest %s (`com.rabbitmq:perf-test`) on the same machine, over loopback.",
                options.perfTestVersion());
        line("- %d round(s) per scenario, %d for the heavy ones (5-7); in each round RabbitMQ then Spool, one broker "
                + "running at a time, each started fresh on an empty data directory. Figures are medians over rounds.",
                options.rounds(), options.heavyRounds());
        line("");
        medians();
        aims();
        flags();
        rounds();
        notes();
        method();
        return md.toString();
    }

    private void medians() {
        line("## Medians");
        line("");
        line("| scenario | measure | RabbitMQ | Spool | Spool / RabbitMQ |");
        line("|---|---|---:|---:|---:|");
        for (Scenario s : scenarios) {
            boolean first = true;
            for (Metric m : metricsOf(s)) {
                double rabbit = median(s, BrokerKind.RABBITMQ, m);
                double spool = median(s, BrokerKind.SPOOL, m);
                line("| %s | %s | %s | %s | %s |", first ? s.title() : "", m.label(), m.format(rabbit), m.format(spool),
                        m.hasRatio() ? ratio(rabbit, spool) : "");
                first = false;
            }
        }
        line("");
    }

    private void aims() {
        line("## The issue's aims");
        line("");
        line("| scenario | measure | aim | RabbitMQ expected | RabbitMQ | Spool | Spool / RabbitMQ | verdict |");
        line("|---|---|---|---:|---:|---:|---:|---|");
        for (Aim a : Aim.fromIssue()) {
            Scenario s = scenario(a.scenario());
            if (s == null) {
                continue;
            }
            double rabbit = median(s, BrokerKind.RABBITMQ, a.metric());
            double spool = median(s, BrokerKind.SPOOL, a.metric());
            line("| %s | %s | %s | %s | %s | %s | %s | %s |", s.title(), a.metric().label(), a.text(), a.rabbitExpected(),
                    a.metric().format(rabbit), a.metric().format(spool), ratio(rabbit, spool), a.verdict(rabbit, spool));
        }
        line("");
    }

    private void flags() {
        line("## Scenarios (PerfTest flags, from `spool-bench/compare`)");
        line("");
        line("| scenario | phase | seconds | PerfTest flags |");
        line("|---|---|---:|---|");
        for (Scenario s : scenarios) {
            for (ScenarioPhase p : s.phases()) {
                line("| %s | %s | %d | `%s` |", s.title(), p.kind().name().toLowerCase(Locale.ROOT), p.seconds(),
                        p.commandLine());
            }
        }
        line("");
    }

    private void rounds() {
        line("## Every round");
        line("");
        for (Scenario s : scenarios) {
            Set<Metric> ms = metricsOf(s);
            line("### %s", s.title());
            line("");
            StringBuilder head = new StringBuilder("| broker | round |");
            StringBuilder rule = new StringBuilder("|---|---:|");
            for (Metric m : ms) {
                head.append(' ').append(m.label()).append(" |");
                rule.append("---:|");
            }
            line("%s", head);
            line("%s", rule);
            for (RunResult r : results) {
                if (r.scenario().id() != s.id()) {
                    continue;
                }
                StringBuilder row = new StringBuilder("| " + r.broker().label() + " | " + r.round() + " |");
                for (Metric m : ms) {
                    row.append(' ').append(m.format(r.value(m))).append(" |");
                }
                line("%s", row);
            }
            line("");
        }
    }

    private void notes() {
        List<String> all = new ArrayList<>();
        for (RunResult r : results) {
            for (String n : r.notes()) {
                all.add(String.format("- %s, %s, round %d: %s", r.scenario().title(), r.broker().label(), r.round(),
                        n.replace("|", "\\|")));
            }
        }
        line("## Notes from the runs");
        line("");
        if (all.isEmpty()) {
            line("None: no warnings from PerfTest or the brokers, no time bound reached.");
        } else {
            all.forEach(n -> line("%s", n));
        }
        line("");
    }

    private void method() {
        line("## How the figures are taken");
        line("");
        line("- Rates (flow scenarios 1-4): PerfTest's once-a-second rates after the first %d s, weighted by "
                + "interval; consume counts every delivery (fan-out: 4 per message published).", options.warmupSeconds());
        line("- Latency p50 / p99 (1-4): the median over the measured seconds of PerfTest's per-second consumer "
                + "latency median and 99th percentile (publish to delivery, under full load).");
        line("- Latency (8): PerfTest publishes at a fixed rate; the driver's own consumer (manual acks, prefetch 100) "
                + "reads PerfTest's nanoTime stamp from every body and keeps every latency, so p99.9 is exact.");
        line("- Broker CPU: utime + stime from /proc of the broker's process (Spool's JVM; RabbitMQ's beam.smp), "
                + "read as each PerfTest line arrives, over the measured seconds; in cores (1.00 = one core busy). "
                + "CPU-s per M msgs: broker CPU seconds per million messages published (5: fill and drain together).");
        line("- RSS: peak is VmHWM of the broker process over the whole run (start-up included); at full depth is "
                + "VmRSS %d s after the last confirm; steady is VmRSS at the end of the measured window. "
                + "RSS per connection: growth over the idle broker's RSS divided by the connections.", BacklogRun.SETTLE_MILLIS / 1000);
        line("- Others' CPU: the machine's busy time minus the broker, PerfTest and this driver, over the same window.");
        line("- 6 and 7: measured for the phase's seconds, %d s after every PerfTest connection is established "
                + "(counted from /proc/net/tcp).", options.settleSeconds());
        line("");
        line("Logs of this run: `%s`", options.spoolHome().relativize(options.workDir()));
    }

    private Set<Metric> metricsOf(Scenario s) {
        Set<Metric> ms = EnumSet.noneOf(Metric.class);
        for (RunResult r : results) {
            if (r.scenario().id() == s.id()) {
                r.values().forEach((m, v) -> {
                    if (!Double.isNaN(v)) {
                        ms.add(m);
                    }
                });
            }
        }
        return ms;
    }

    private double median(Scenario s, BrokerKind b, Metric m) {
        return Stats.median(results.stream()
                .filter(r -> r.scenario().id() == s.id() && r.broker() == b)
                .mapToDouble(r -> r.value(m)).toArray());
    }

    private Scenario scenario(int id) {
        return scenarios.stream().filter(s -> s.id() == id).findFirst().orElse(null);
    }

    private String othersLoad() {
        double[] v = results.stream().mapToDouble(r -> r.value(Metric.OTHERS_LOAD)).toArray();
        double max = java.util.Arrays.stream(v).filter(x -> !Double.isNaN(x)).max().orElse(Double.NaN);
        return String.format(Locale.ROOT, "%.2f cores (highest %.2f)", Stats.median(v), max);
    }

    private static String ratio(double rabbit, double spool) {
        if (Double.isNaN(rabbit) || Double.isNaN(spool) || rabbit == 0) {
            return "";
        }
        return String.format(Locale.ROOT, "%.2f", spool / rabbit);
    }

    private void line(String format, Object... args) {
        md.append(args.length == 0 ? format : String.format(Locale.ROOT, format, args)).append('\n');
    }
}
