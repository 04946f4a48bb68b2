package io.spool.bench.store;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/**
 * A load tool run to its end is gone from /proc when its phase is measured; its CPU must still
 * count as the benchmark's, or the report blames it on the machine's other users.
 */
class ProcCpuTest {

    @Test
    void aReapedChildsCpuCountsAsTheParents() throws Exception {
        long self = ProcessHandle.current().pid();
        long before = ProcCpu.nanosWithReapedChildren(self);
        long ownBefore = ProcCpu.nanos(self);

        // A child that burns CPU, then exits and is waited for (reaped).
        Process child = new ProcessBuilder("sh", "-c", "i=0; while [ $i -lt 300000 ]; do i=$((i+1)); done")
                .inheritIO().start();
        assertThat(child.waitFor()).isZero();

        long withChildren = ProcCpu.nanosWithReapedChildren(self) - before;
        long ownOnly = ProcCpu.nanos(self) - ownBefore;
        assertThat(withChildren - ownOnly).as("the child's CPU, in ns").isGreaterThan(100_000_000L);
    }
}
