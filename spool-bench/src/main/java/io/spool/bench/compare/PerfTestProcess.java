package io.spool.bench.compare;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * RabbitMQ's PerfTest ({@code com.rabbitmq.perf.PerfTest}) running as its own JVM against one
 * broker. Its output goes to a log file; the once-a-second lines are parsed into samples and
 * handed to a listener as they arrive (so the broker's CPU can be read at the same instants),
 * the final averages into a {@link PerfTestSummary}, and warnings and errors are kept for the
 * report.
 *
 * <p>Threads: one thread reads the output and calls the listener; the rest may be called from any.
 */
final class PerfTestProcess implements AutoCloseable {

    /** Called on the output thread for every once-a-second line. */
    interface SampleListener {
        void onSample(PerfTestProcess perfTest, PerfTestSample sample);
    }

    /** Noise of the NIO client closing sockets PerfTest already closed; harmless. */
    private static final String CLOSE_NOISE = "Error while closing SocketChannel";

    private final Process process;
    private final Path log;
    private final SampleListener listener;
    private final List<String> problems = Collections.synchronizedList(new ArrayList<>());
    private final PerfTestSummary summary = new PerfTestSummary();
    private final Thread reader;

    private PerfTestProcess(Process process, Path log, SampleListener listener) {
        this.process = process;
        this.log = log;
        this.listener = listener;
        this.reader = new Thread(this::copyOutput, "perftest-output-" + process.pid());
        reader.setDaemon(true);
    }

    /**
     * Starts PerfTest with the given flags against {@code uri}.
     *
     * @param classpath PerfTest's jars ({@code dir/*})
     */
    static PerfTestProcess start(String classpath, String uri, List<String> flags, Path log, SampleListener listener)
            throws IOException {
        List<String> command = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", classpath, "com.rabbitmq.perf.PerfTest", "--uri", uri));
        command.addAll(flags);
        Files.createDirectories(log.getParent());
        Files.writeString(log, String.join(" ", command) + "\n", StandardCharsets.UTF_8);
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        ProcessLedger.record(p.pid());
        PerfTestProcess pt = new PerfTestProcess(p, log, listener);
        pt.reader.start();
        return pt;
    }

    private void copyOutput() {
        try (BufferedReader in = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
             PrintWriter out = new PrintWriter(Files.newBufferedWriter(log, StandardCharsets.UTF_8,
                     java.nio.file.StandardOpenOption.APPEND), true)) {
            String line;
            boolean inCloseNoise = false;
            while ((line = in.readLine()) != null) {
                out.println(line);
                PerfTestSample s = PerfTestSample.parse(line);
                if (s != null) {
                    if (listener != null) {
                        listener.onSample(this, s);
                    }
                    continue;
                }
                summary.offer(line);
                if (line.contains(CLOSE_NOISE)) {
                    inCloseNoise = true;
                } else if (!line.startsWith("\t") && !line.startsWith("Caused by") && !line.startsWith("java.")
                        && !line.contains("... ")) {
                    inCloseNoise = false;
                }
                if (!inCloseNoise && isProblem(line)) {
                    problems.add(line.strip());
                }
            }
        } catch (IOException e) {
            problems.add("reading PerfTest output failed: " + e);
        }
    }

    private static boolean isProblem(String line) {
        return line.contains(" ERROR ") || line.contains(" WARN ") || line.startsWith("Exception")
                || line.contains("Error:") || line.contains("blocked");
    }

    long pid() {
        return process.pid();
    }

    boolean alive() {
        return process.isAlive();
    }

    /** Waits for PerfTest to end by itself; false if it is still running after {@code bound}. */
    boolean awaitExit(Duration bound) throws InterruptedException {
        boolean ended = process.waitFor(bound.toMillis(), TimeUnit.MILLISECONDS);
        if (ended) {
            reader.join(5_000);
        }
        return ended;
    }

    /**
     * SIGTERM (PerfTest closes its connections), then SIGKILL if it lingers. Through the process
     * handle: {@link Process#destroy} would also close the output pipe under the reader, losing
     * what PerfTest prints as it stops.
     */
    void stop() throws InterruptedException {
        if (process.isAlive()) {
            process.toHandle().destroy();
            if (!process.waitFor(30, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor();
            }
        }
        reader.join(5_000);
    }

    PerfTestSummary summary() {
        return summary;
    }

    /** Warning and error lines PerfTest printed, without its harmless socket-closing noise. */
    List<String> problems() {
        synchronized (problems) {
            return List.copyOf(problems);
        }
    }

    @Override
    public void close() {
        if (process.isAlive()) {
            process.destroyForcibly();
        }
    }
}
