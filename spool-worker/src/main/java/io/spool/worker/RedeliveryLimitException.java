package io.spool.worker;

/**
 * The error of a job that kept coming back unsettled: every worker that took it stopped (a
 * crash, {@code kill -9}, a shutdown past its deadline) before the job finished. Such a job may
 * be what brings its workers down, so it is dead-lettered instead of being handed out forever.
 */
public final class RedeliveryLimitException extends PermanentJobFailure {

    public RedeliveryLimitException(int deliveries) {
        super("delivered " + deliveries + " times without being settled: each time the worker holding it stopped"
                + " before the job finished");
    }
}
