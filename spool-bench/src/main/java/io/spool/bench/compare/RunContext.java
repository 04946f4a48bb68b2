package io.spool.bench.compare;

import io.spool.bench.store.ProcMemory;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/**
 * What a scenario's phases need while they measure one broker: the broker, where logs go, the
 * options, and the result they fill in.
 */
record RunContext(CompareOptions options, BrokerUnderTest broker, Path logDir, RunResult result) {

    Path perfTestLog(String phase) {
        return logDir.resolve("perftest-" + phase + ".log");
    }

    PerfTestProcess startPerfTest(String phase, List<String> flags, PerfTestProcess.SampleListener listener)
            throws IOException {
        return PerfTestProcess.start(options.perfTestClasspath(), broker.amqpUri(), flags, perfTestLog(phase), listener);
    }

    UsageSnapshot snapshot(long clientPid) {
        return UsageSnapshot.take(broker.measuredPid(), clientPid);
    }

    ProcMemory brokerMemory() throws IOException {
        return ProcMemory.of(broker.measuredPid());
    }

    /** Notes PerfTest's warnings and errors, and an early or late end, in the result. */
    void notePerfTest(String phase, PerfTestProcess pt, boolean endedInTime) {
        if (!endedInTime) {
            result.note(phase + ": PerfTest still running at the time bound; stopped");
        }
        List<String> problems = pt.problems();
        if (!problems.isEmpty()) {
            result.note(phase + ": PerfTest printed " + problems.size() + " warning/error line(s), first: "
                    + problems.get(0));
        }
    }

    static double mib(long kib) {
        return kib < 0 ? Double.NaN : kib / 1024.0;
    }
}
