package io.spool.bench.store;

import java.time.Duration;

/**
 * One restart of a broker with the queue full.
 *
 * @param spawnToReady    from starting bin/spool to the ready line
 * @param recoveryMillis  recovery of exchanges, queues and messages as the broker logs it
 * @param startMillis     Broker.start as the broker logs it (recovery included)
 * @param cachedBytes     bytes of the data directory in the page cache when the restart began
 */
record RestartTiming(Duration spawnToReady, long recoveryMillis, long startMillis, long cachedBytes) {

    static RestartTiming of(BrokerProcess broker, long cachedBytes) {
        return new RestartTiming(broker.spawnToReady(), broker.recoveryMillis(), broker.startMillis(), cachedBytes);
    }
}
