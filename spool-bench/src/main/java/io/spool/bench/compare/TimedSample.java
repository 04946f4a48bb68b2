package io.spool.bench.compare;

/** A PerfTest sample with the CPU counters read the moment its line arrived. */
record TimedSample(PerfTestSample sample, UsageSnapshot usage) {}
