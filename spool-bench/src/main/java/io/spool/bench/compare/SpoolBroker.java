package io.spool.bench.compare;

import io.spool.bench.store.BrokerProcess;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/** Spool started by {@code bin/spool server} on free ports and a fresh data directory. */
final class SpoolBroker implements BrokerUnderTest {

    private final BrokerProcess process;
    private final Path dataDir;

    private SpoolBroker(BrokerProcess process, Path dataDir) {
        this.process = process;
        this.dataDir = dataDir;
    }

    static SpoolBroker start(Path spoolHome, String javaOpts, Path dataDir, Path log) throws IOException, InterruptedException {
        BrokerProcess p = BrokerProcess.start(spoolHome, dataDir, javaOpts, log);
        ProcessLedger.record(p.pid());
        try {
            p.awaitReady(Duration.ofSeconds(120));
        } catch (RuntimeException | InterruptedException e) {
            p.close();
            throw e;
        }
        return new SpoolBroker(p, dataDir);
    }

    @Override
    public long measuredPid() {
        // bin/spool execs the JVM, so the process started is the broker itself.
        return process.pid();
    }

    @Override
    public int amqpPort() {
        return process.amqpPort();
    }

    @Override
    public Path dataDir() {
        return dataDir;
    }

    @Override
    public List<String> logProblems() throws IOException {
        return BrokerLog.problems(process.log(), l -> l.contains(" ready: amqp://"),
                l -> l.contains(" WARN ") || l.contains(" ERROR ") || l.contains("Exception"));
    }

    @Override
    public void stop() throws InterruptedException {
        process.stop();
    }

    @Override
    public void close() {
        process.close();
    }
}
