package io.spool.bench.compare;

import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Waits, within a bound, for a quiet moment before a measurement: the machine is shared, and a
 * neighbour's burst of work would be charged to whichever broker runs at that moment. Called
 * while no broker of ours runs, so all busy CPU it sees is someone else's.
 */
final class QuietMachine {

    /** The machine's busy CPU in the last sample (cores), and who was busiest if it was not quiet. */
    record Reading(double busyCores, List<String> busiest) {}

    private QuietMachine() {}

    /**
     * Samples the machine's busy CPU for {@code sampleSeconds}, again every few seconds while it is
     * above {@code maxCores}, for at most {@code maxWaitSeconds}; returns the last reading.
     */
    static Reading await(double maxCores, int maxWaitSeconds, int sampleSeconds) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(maxWaitSeconds);
        while (true) {
            BusiestProcesses processes = BusiestProcesses.start();
            long t0 = System.nanoTime();
            long b0 = MachineCpu.busyNanos();
            Thread.sleep(sampleSeconds * 1000L);
            double seconds = (System.nanoTime() - t0) / 1e9;
            double busy = (MachineCpu.busyNanos() - b0) / 1e9 / seconds;
            if (busy <= maxCores) {
                return new Reading(busy, List.of());
            }
            if (System.nanoTime() > deadline) {
                return new Reading(busy, processes.top(3, seconds));
            }
            Thread.sleep(3_000);
        }
    }
}
