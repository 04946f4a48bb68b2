package io.spool.bench.store;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A broker started as its own process through {@code bin/spool server}, on ports it picks
 * itself (port 0: the ready line says which, so no free-port race). Its output is copied to a
 * log file while the lines the benchmark needs are picked out: the ready line, and the times
 * the broker reports for recovery and start.
 *
 * <p>Threads: one thread reads the output; the getters may be called from any thread once
 * {@link #awaitReady} has returned.
 */
public final class BrokerProcess implements AutoCloseable {

    static final Pattern READY = Pattern.compile(
            "ready: amqp://(?<host>\\[[^]]+]|[^:/ ]+):(?<amqp>\\d+) \\(management http://(?:\\[[^]]+]|[^:/ ]+):(?<http>\\d+)");
    static final Pattern RECOVERED = Pattern.compile("recovered .* and (?<messages>\\d+) messages in (?<ms>\\d+) ms");
    static final Pattern STARTED = Pattern.compile("started in (?<ms>\\d+) ms");

    private final Process process;
    private final long spawnedNanos;
    private final Path log;
    private final CountDownLatch readyOrGone = new CountDownLatch(1);
    private volatile long readyNanos;
    private volatile String host;
    private volatile int amqpPort;
    private volatile int httpPort;
    private volatile long recoveryMillis = -1;
    private volatile long startMillis = -1;

    private BrokerProcess(Process process, long spawnedNanos, Path log) {
        this.process = process;
        this.spawnedNanos = spawnedNanos;
        this.log = log;
    }

    /** Starts {@code bin/spool server} on a data directory with the given JAVA_OPTS. */
    public static BrokerProcess start(Path spoolHome, Path dataDir, String javaOpts, Path log) throws IOException {
        ProcessBuilder pb = new ProcessBuilder(spoolHome.resolve("bin/spool").toString(), "server",
                "--amqp-port", "0", "--http-port", "0", "--data-dir", dataDir.toString())
                .redirectErrorStream(true);
        pb.environment().put("JAVA_OPTS", javaOpts);
        Files.createDirectories(log.getParent());
        long spawned = System.nanoTime();
        BrokerProcess b = new BrokerProcess(pb.start(), spawned, log);
        Thread reader = new Thread(b::copyOutput, "broker-output-" + b.pid());
        reader.setDaemon(true);
        reader.start();
        return b;
    }

    private void copyOutput() {
        try (BufferedReader in = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
             PrintWriter out = new PrintWriter(Files.newBufferedWriter(log, StandardCharsets.UTF_8), true)) {
            String line;
            while ((line = in.readLine()) != null) {
                long now = System.nanoTime();
                out.println(line);
                noteLine(line, now);
            }
        } catch (IOException e) {
            // the broker is gone; awaitReady reports that
        } finally {
            readyOrGone.countDown();
        }
    }

    private void noteLine(String line, long now) {
        Matcher m = RECOVERED.matcher(line);
        if (m.find()) {
            recoveryMillis = Long.parseLong(m.group("ms"));
        }
        m = STARTED.matcher(line);
        if (m.find()) {
            startMillis = Long.parseLong(m.group("ms"));
        }
        m = READY.matcher(line);
        if (m.find()) {
            host = m.group("host");
            amqpPort = Integer.parseInt(m.group("amqp"));
            httpPort = Integer.parseInt(m.group("http"));
            readyNanos = now;
            readyOrGone.countDown();
        }
    }

    /** Waits for the ready line; fails if the broker exits or stays silent too long. */
    public BrokerProcess awaitReady(Duration timeout) throws InterruptedException {
        if (!readyOrGone.await(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            throw new IllegalStateException("broker not ready after " + timeout + "; see " + log);
        }
        if (readyNanos == 0) {
            throw new IllegalStateException("broker exited before it was ready; see " + log);
        }
        return this;
    }

    /** The file the broker's output is copied to. */
    public Path log() {
        return log;
    }

    public long pid() {
        return process.pid();
    }

    public String host() {
        return host.startsWith("[") ? host.substring(1, host.length() - 1) : host;
    }

    public int amqpPort() {
        return amqpPort;
    }

    public int httpPort() {
        return httpPort;
    }

    long spawnedNanos() {
        return spawnedNanos;
    }

    /** From starting bin/spool to the ready line on its output. */
    Duration spawnToReady() {
        return Duration.ofNanos(readyNanos - spawnedNanos);
    }

    /** Recovery time the broker logged, or -1 if it logged none. */
    long recoveryMillis() {
        return recoveryMillis;
    }

    /** Time Broker.start took by the broker's own log (recovery included), or -1. */
    long startMillis() {
        return startMillis;
    }

    public ProcMemory memory() throws IOException {
        return ProcMemory.of(pid());
    }

    /** SIGTERM, then waits for the clean shutdown; returns how long it took. */
    public Duration stop() throws InterruptedException {
        long t0 = System.nanoTime();
        process.destroy();
        if (!process.waitFor(60, TimeUnit.SECONDS)) {
            process.destroyForcibly().waitFor();
            throw new IllegalStateException("broker did not stop within 60 s of SIGTERM; see " + log);
        }
        return Duration.ofNanos(System.nanoTime() - t0);
    }

    @Override
    public void close() {
        if (process.isAlive()) {
            process.destroyForcibly();
        }
    }
}
