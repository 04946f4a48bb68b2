package io.spool.broker.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import com.rabbitmq.client.GetResponse;
import com.rabbitmq.client.ShutdownSignalException;
import io.spool.broker.testing.SpoolProcess;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code bin/spool} as a user runs it, after {@code mvn package}: it finds a JDK 21+ by itself
 * even when the java on PATH is older, passes JAVA_OPTS to the broker's JVM, runs the packaged
 * broker without rebuilding it, and lets SIGTERM reach the broker. Runs in {@code mvn verify}.
 */
class LauncherIT {

    private static final Duration TIMEOUT = Duration.ofSeconds(60);
    private static final int SCHED_OTHER = 0;
    private static final int SCHED_BATCH = 3;
    private static final Pattern WATERMARK = Pattern.compile("memory high watermark (\\d+) MiB");

    @TempDir
    Path tmp;

    private Path root;
    private Path launcher;
    /** A JDK 17 home whose java answers -version like OpenJDK 17 and refuses to run anything. */
    private Path jdk17;
    private final List<SpoolProcess> processes = new ArrayList<>();
    private Connection connection;

    @BeforeEach
    void locateLauncherAndFakeJdk17() throws IOException {
        root = Path.of("").toAbsolutePath();
        while (root != null && !Files.isRegularFile(root.resolve("bin/spool"))) {
            root = root.getParent();
        }
        assertThat(root).as("a directory above %s holding bin/spool", Path.of("").toAbsolutePath()).isNotNull();
        launcher = root.resolve("bin/spool");
        assertThat(root.resolve("spool-broker/target/spool-broker.jar")).as("packaged before integration tests")
                .isRegularFile();

        jdk17 = tmp.resolve("jdk-17");
        Path java = jdk17.resolve("bin/java");
        Files.createDirectories(java.getParent());
        Files.writeString(java, """
                #!/bin/sh
                if [ "$1" = "-version" ]; then
                  echo 'openjdk version "17.0.15" 2025-04-15' >&2
                  echo 'OpenJDK Runtime Environment (build 17.0.15+6-Debian-1deb12u1)' >&2
                  echo 'OpenJDK 64-Bit Server VM (build 17.0.15+6-Debian-1deb12u1, mixed mode, sharing)' >&2
                  exit 0
                fi
                echo "this is Java 17; Spool needs 21+" >&2
                exit 97
                """);
        Files.setPosixFilePermissions(java, PosixFilePermissions.fromString("rwxr-xr-x"));
    }

    @AfterEach
    void cleanUp() throws Exception {
        if (connection != null && connection.isOpen()) {
            connection.abort(1_000);
        }
        for (SpoolProcess p : processes) {
            p.close();
        }
    }

    /** PATH with the Java 17 first, as on a machine whose default java is 17. */
    private String pathWithJava17First() {
        return jdk17.resolve("bin") + File.pathSeparator + System.getenv("PATH");
    }

    private SpoolProcess run(Path workDir, Map<String, String> env, String... command) throws IOException {
        ProcessBuilder b = new ProcessBuilder(command).directory(workDir.toFile());
        SpoolProcess p = SpoolProcess.start(b, env);
        processes.add(p);
        return p;
    }

    private static Map<String, String> env(String... keysAndValues) {
        Map<String, String> env = new HashMap<>();
        for (int i = 0; i < keysAndValues.length; i += 2) {
            env.put(keysAndValues[i], keysAndValues[i + 1]);
        }
        return env;
    }

    @Test
    void serverFindsAJdkPassesJavaOptsAndStopsGracefullyOnSigterm() throws Exception {
        SpoolProcess p = run(tmp, env("JAVA_HOME", null, "PATH", pathWithJava17First(), "JAVA_OPTS", "-Xmx128m"),
                launcher.toString(), "server", "--amqp-port", "0", "--http-port", "0",
                "--data-dir", tmp.resolve("data").toString());

        int port = p.awaitReady();

        ConnectionFactory f = new ConnectionFactory();
        f.setHost("127.0.0.1");
        f.setPort(port);
        f.setAutomaticRecoveryEnabled(false);
        connection = f.newConnection();
        Channel ch = connection.createChannel();
        String q = ch.queueDeclare().getQueue();
        ch.basicPublish("", q, null, "via bin/spool".getBytes(StandardCharsets.UTF_8));
        GetResponse got = ch.basicGet(q, true);
        assertThat(new String(got.getBody(), StandardCharsets.UTF_8)).isEqualTo("via bin/spool");

        // The launcher became the broker's JVM (exec), started with JAVA_OPTS...
        ProcessHandle.Info info = p.process().info();
        assertThat(info.command()).hasValueSatisfying(c -> assertThat(c).endsWith("/bin/java"));
        assertThat(info.arguments()).hasValueSatisfying(a -> assertThat(a).contains("-Xmx128m"));
        // ...which the broker felt: its memory alarm defaults to 40% of a 128 MiB heap.
        Matcher watermark = WATERMARK.matcher(String.join("\n", p.stdout()));
        assertThat(watermark.find()).as(p.transcript()).isTrue();
        assertThat(Integer.parseInt(watermark.group(1))).isBetween(1, 52);
        // ...under SCHED_BATCH, so its woken threads do not preempt the clients that woke them.
        assertThat(schedulingPolicy(p.process().pid())).isEqualTo(SCHED_BATCH);
        // The jar from `mvn package` was fresh: no rebuild, nothing but the broker on stdout.
        assertThat(p.stderr()).as(p.transcript()).noneMatch(l -> l.contains("building"));

        CompletableFuture<ShutdownSignalException> closed = new CompletableFuture<>();
        connection.addShutdownListener(closed::complete);
        p.process().destroy(); // SIGTERM
        ShutdownSignalException cause = closed.get(TIMEOUT.toSeconds(), TimeUnit.SECONDS);
        assertThat(cause.getReason()).isInstanceOfSatisfying(AMQP.Connection.Close.class,
                close -> assertThat(close.getReplyCode()).isEqualTo(320));
        assertThat(p.awaitExit(TIMEOUT)).as(p.transcript()).isZero();
        assertThat(p.stderr()).as(p.transcript()).isEmpty();
    }

    @Test
    void spoolSchedulerOtherKeepsTheDefaultPolicyAndAnUnknownOneIsRefused() throws Exception {
        String javaHome = System.getProperty("java.home");
        SpoolProcess other = run(tmp, env("JAVA_HOME", javaHome, "SPOOL_SCHEDULER", "other"),
                launcher.toString(), "server", "--amqp-port", "0", "--http-port", "-1",
                "--data-dir", tmp.resolve("data").toString());
        other.awaitReady();
        assertThat(schedulingPolicy(other.process().pid())).isEqualTo(SCHED_OTHER);

        SpoolProcess unknown = run(tmp, env("JAVA_HOME", javaHome, "SPOOL_SCHEDULER", "fifo"),
                launcher.toString(), "server", "--amqp-port", "0", "--http-port", "-1",
                "--data-dir", tmp.resolve("data2").toString());
        assertThat(unknown.awaitExit(TIMEOUT)).as(unknown.transcript()).isEqualTo(1);
        assertThat(unknown.stderr()).as(unknown.transcript()).singleElement().asString()
                .contains("SPOOL_SCHEDULER", "batch or other", "fifo");
    }

    /** The scheduling policy of a process: field 41 of /proc/PID/stat (0 SCHED_OTHER, 3 SCHED_BATCH). */
    private static int schedulingPolicy(long pid) throws IOException {
        String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
        // Fields after the command name, which is in parentheses and may hold spaces: field 3 on.
        String[] fields = stat.substring(stat.lastIndexOf(')') + 2).trim().split(" ");
        return Integer.parseInt(fields[41 - 3]);
    }

    @Test
    void javaHomeIsUsedWhenItIsJdk21OrNewer() throws Exception {
        String testJdk = System.getProperty("java.home");
        SpoolProcess p = run(tmp, env("JAVA_HOME", testJdk, "PATH", pathWithJava17First()),
                launcher.toString(), "java-home");

        assertThat(p.awaitExit(TIMEOUT)).as(p.transcript()).isZero();
        assertThat(p.stdout()).containsExactly(testJdk);
    }

    @Test
    void javaHomeOfJdk17IsSkipped() throws Exception {
        SpoolProcess p = run(tmp, env("JAVA_HOME", jdk17.toString(), "PATH", pathWithJava17First()),
                launcher.toString(), "java-home");

        assertThat(p.awaitExit(TIMEOUT)).as(p.transcript()).isZero();
        assertThat(p.stdout()).singleElement().satisfies(home -> {
            assertThat(home).isNotEqualTo(jdk17.toString());
            assertThat(javaMajor(Path.of(home))).isGreaterThanOrEqualTo(21);
        });
        assertThat(p.stderr()).as("the user learns why their JAVA_HOME was not used").singleElement().asString()
                .contains("JAVA_HOME=" + jdk17, "Java 17", "21+");
    }

    @Test
    void worksThroughASymlinkAndWithCdpathSet() throws Exception {
        Path link = Files.createDirectories(tmp.resolve("home/bin")).resolve("spool");
        Files.createSymbolicLink(link, launcher);
        // A CDPATH entry holding a "bin" directory used to send the launcher's `cd bin/..` astray.
        Path decoy = Files.createDirectories(tmp.resolve("decoy/bin")).getParent();
        String javaHome = System.getProperty("java.home");

        SpoolProcess viaLink = run(tmp, env("JAVA_HOME", javaHome), link.toString(), "--version");
        assertThat(viaLink.awaitExit(TIMEOUT)).as(viaLink.transcript()).isZero();
        assertThat(viaLink.stdout()).singleElement().asString().startsWith("Spool ");

        SpoolProcess withCdpath = run(root, env("JAVA_HOME", javaHome, "CDPATH", decoy.toString()),
                "bin/spool", "--version");
        assertThat(withCdpath.awaitExit(TIMEOUT)).as(withCdpath.transcript()).isZero();
        assertThat(withCdpath.stdout()).singleElement().asString().startsWith("Spool ");
        Files.delete(link); // the temp dir cleanup warns about links that point outside it
    }

    /** The major version a JDK's release file declares, e.g. 25 for JAVA_VERSION="25.0.1". */
    private static int javaMajor(Path home) throws IOException {
        String version = Files.readAllLines(home.resolve("release")).stream()
                .filter(l -> l.startsWith("JAVA_VERSION="))
                .map(l -> l.substring("JAVA_VERSION=".length()).replace("\"", ""))
                .findFirst().orElseThrow(() -> new AssertionError("no JAVA_VERSION in " + home.resolve("release")));
        return Integer.parseInt(version.split("[.+-]")[0]);
    }
}
