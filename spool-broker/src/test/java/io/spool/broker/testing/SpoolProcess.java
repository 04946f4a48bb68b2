package io.spool.broker.testing;

import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * A broker (or any {@code spool} command) running as a child process, with its stdout and
 * stderr read line by line on their own threads. Tests wait for lines with a timeout; nothing
 * sleeps. Closing it kills the process if it is still running.
 */
public final class SpoolProcess implements AutoCloseable {

    /** The line {@code spool server} prints once it listens; group 1 is the AMQP port. */
    public static final Pattern READY = Pattern.compile("ready: amqp://127\\.0\\.0\\.1:(\\d+)\\b");

    private static final Object END = new Object();

    private final Process process;
    private final BlockingQueue<Object> stdoutQueue = new LinkedBlockingQueue<>();
    private final List<String> stdout = new CopyOnWriteArrayList<>();
    private final List<String> stderr = new CopyOnWriteArrayList<>();
    private final Thread stdoutReader;
    private final Thread stderrReader;
    private boolean stdoutEnded;

    private SpoolProcess(Process process) {
        this.process = process;
        this.stdoutReader = reader("stdout", process.getInputStream(), line -> {
            stdout.add(line);
            stdoutQueue.add(line);
        }, () -> stdoutQueue.add(END));
        this.stderrReader = reader("stderr", process.getErrorStream(), stderr::add, () -> { });
    }

    /**
     * Starts {@code SpoolCommand} with the given arguments in a new JVM: this test JVM's java
     * binary and its classpath, minus the test classes (so the broker logs with its own
     * logback.xml, as it does when installed).
     */
    public static SpoolProcess java(List<String> args, Map<String, String> env) throws IOException {
        return java(List.of(), args, env);
    }

    /** As {@link #java(List, Map)}, with options for the new JVM itself (e.g. {@code -Xmx128m}). */
    public static SpoolProcess java(List<String> jvmArgs, List<String> args, Map<String, String> env)
            throws IOException {
        String java = ProcessHandle.current().info().command().orElseThrow();
        String classpath = Arrays.stream(System.getProperty("java.class.path").split(File.pathSeparator))
                .filter(entry -> !Path.of(entry).endsWith("test-classes"))
                .collect(Collectors.joining(File.pathSeparator));
        // As bin/spool does: Netty loads its native epoll library, which JDK 24+ would
        // otherwise warn about on stderr.
        List<String> command = new ArrayList<>(List.of(java, "--enable-native-access=ALL-UNNAMED"));
        command.addAll(jvmArgs);
        command.addAll(List.of("-cp", classpath, "io.spool.broker.cli.SpoolCommand"));
        command.addAll(args);
        return start(new ProcessBuilder(command), env);
    }

    /** Starts a command line; {@code env} entries with a null value are removed from the environment. */
    public static SpoolProcess start(ProcessBuilder builder, Map<String, String> env) throws IOException {
        Map<String, String> environment = builder.environment();
        // Settings of the developer's shell must not leak in; nor the JVM's "Picked up ..." notes on stderr.
        environment.keySet().removeIf(name -> name.startsWith("SPOOL_") || name.equals("JAVA_OPTS")
                || name.equals("JAVA_TOOL_OPTIONS") || name.equals("_JAVA_OPTIONS") || name.equals("JDK_JAVA_OPTIONS"));
        env.forEach((k, v) -> {
            if (v == null) {
                environment.remove(k);
            } else {
                environment.put(k, v);
            }
        });
        builder.redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
        return new SpoolProcess(builder.start());
    }

    private static Thread reader(String name, InputStream in, Consumer<String> sink, Runnable atEnd) {
        return Thread.ofPlatform().daemon().name("spool-" + name).start(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
                String line;
                while ((line = r.readLine()) != null) {
                    sink.accept(line);
                }
            } catch (IOException ignored) {
                // the process went away; what was read is kept
            } finally {
                atEnd.run();
            }
        });
    }

    public Process process() {
        return process;
    }

    /**
     * Waits for the next stdout line matching the pattern, skipping others, and returns its
     * matcher. Fails when the process ends or the timeout passes first, with what it printed.
     */
    public Matcher awaitStdout(Pattern pattern, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            Object next = stdoutEnded ? END
                    : stdoutQueue.poll(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            if (next == END) {
                stdoutEnded = true;
                throw new AssertionError("process ended before printing a line matching '" + pattern + "'"
                        + transcript());
            }
            if (next == null) {
                throw new AssertionError("no line matching '" + pattern + "' within " + timeout + transcript());
            }
            Matcher m = pattern.matcher((String) next);
            if (m.find()) {
                return m;
            }
        }
    }

    /** Waits until the broker prints its ready line; returns the AMQP port it names. */
    public int awaitReady() throws InterruptedException {
        return Integer.parseInt(awaitStdout(READY, Duration.ofSeconds(60)).group(1));
    }

    /** Waits for the process to exit and for both output streams to be read to the end. */
    public int awaitExit(Duration timeout) throws InterruptedException {
        if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            throw new AssertionError("process still running after " + timeout + transcript());
        }
        stdoutReader.join(timeout.toMillis());
        stderrReader.join(timeout.toMillis());
        return process.exitValue();
    }

    /** Every stdout line read so far. */
    public List<String> stdout() {
        return List.copyOf(stdout);
    }

    /** Every stderr line read so far. */
    public List<String> stderr() {
        return List.copyOf(stderr);
    }

    /** What the process printed, for failure messages. */
    public String transcript() {
        return "\n--- stdout ---\n" + String.join("\n", stdout) + "\n--- stderr ---\n" + String.join("\n", stderr);
    }

    @Override
    public void close() {
        if (process.isAlive()) {
            process.descendants().forEach(ProcessHandle::destroyForcibly);
            process.destroyForcibly();
            try {
                process.waitFor(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
