package io.spool.bench.compare;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/**
 * A broker started for one measurement on a fresh data directory, alone on the machine's side of
 * the comparison: the other broker is stopped meanwhile.
 */
interface BrokerUnderTest extends AutoCloseable {

    /** The process whose CPU time and memory are the broker's (the JVM; for RabbitMQ, beam.smp). */
    long measuredPid();

    int amqpPort();

    default String amqpUri() {
        return "amqp://guest:guest@127.0.0.1:" + amqpPort();
    }

    /** Where the broker keeps its messages, for disk usage. */
    Path dataDir();

    /** Warnings and errors the broker logged since it was ready (at most a few, for the report). */
    List<String> logProblems() throws IOException;

    /** Stops the broker cleanly, forcibly if it does not stop in time. */
    void stop() throws InterruptedException;

    @Override
    void close();
}
