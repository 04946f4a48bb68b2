package io.spool.example.photo.e2e;

import io.spool.broker.testing.SpoolProcess;
import io.spool.example.photo.PhotoUploadCommand;
import java.io.File;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * A {@code photo-upload web} or {@code worker} process, started as {@code bin/spool demo} starts
 * it: its own JVM on this module's classes and dependencies. Killed when closed.
 */
final class AppProcess implements AutoCloseable {

    static final Pattern WORKER_READY = Pattern.compile("worker (\\d+)@\\S+ ready: ");
    static final Pattern WEB_READY = Pattern.compile("photo upload ready: (http://\\S+)");

    private final SpoolProcess process;

    private AppProcess(SpoolProcess process) {
        this.process = process;
    }

    /** A worker connected to the broker on {@code amqpPort}, ready (consuming) when this returns. */
    static AppProcess worker(int amqpPort, Path dataDir, Map<String, String> env, String... options)
            throws IOException, InterruptedException {
        List<String> args = new ArrayList<>(List.of("worker", "--amqp-uri", "amqp://guest:guest@127.0.0.1:" + amqpPort,
                "--data-dir", dataDir.toString()));
        args.addAll(List.of(options));
        AppProcess p = start(args, env);
        p.process.awaitStdout(WORKER_READY, Duration.ofSeconds(60));
        return p;
    }

    /** The web app on a free port; {@link #awaitWebUrl()} tells which. */
    static AppProcess web(int amqpPort, Path dataDir, Map<String, String> env) throws IOException {
        return start(List.of("web", "--amqp-uri", "amqp://guest:guest@127.0.0.1:" + amqpPort, "--web-port", "0",
                "--data-dir", dataDir.toString()), env);
    }

    String awaitWebUrl() throws InterruptedException {
        return process.awaitStdout(WEB_READY, Duration.ofSeconds(60)).group(1);
    }

    private static AppProcess start(List<String> args, Map<String, String> env) throws IOException {
        String java = ProcessHandle.current().info().command().orElseThrow();
        // The test classes stay out: the process logs with the app's own logback.xml.
        String classpath = Arrays.stream(System.getProperty("java.class.path").split(File.pathSeparator))
                .filter(entry -> !Path.of(entry).endsWith("test-classes"))
                .collect(Collectors.joining(File.pathSeparator));
        List<String> command = new ArrayList<>(List.of(java, "--enable-native-access=ALL-UNNAMED", "-Xmx512m",
                "-cp", classpath, PhotoUploadCommand.class.getName()));
        command.addAll(args);
        return new AppProcess(SpoolProcess.start(new ProcessBuilder(command), env));
    }

    long pid() {
        return process.process().pid();
    }

    SpoolProcess output() {
        return process;
    }

    /** kill -9: no shutdown hook runs, the broker sees the connection drop. */
    void kill() throws InterruptedException {
        process.process().destroyForcibly();
        process.process().waitFor();
    }

    @Override
    public void close() {
        process.close();
    }
}
