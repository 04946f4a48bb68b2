package io.spool.example.photo.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.spool.broker.testing.SpoolProcess;
import io.spool.example.photo.TestMedia;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code bin/spool demo} as a user runs it, after {@code mvn package}: it starts the broker, the
 * web app and two workers on the ports given, prints the URL, and SIGTERM stops every process
 * it started. Runs in {@code mvn verify}.
 */
class DemoIT {

    private static final Pattern OPEN = Pattern.compile("spool demo: open (http://127\\.0\\.0\\.1:(\\d+)/)");

    @TempDir
    Path tmp;

    private Path launcher;

    @BeforeEach
    void locateLauncher() {
        Path root = Path.of("").toAbsolutePath();
        while (root != null && !Files.isRegularFile(root.resolve("bin/spool"))) {
            root = root.getParent();
        }
        assertThat(root).as("a directory above %s holding bin/spool", Path.of("").toAbsolutePath()).isNotNull();
        assertThat(root.resolve("examples/photo-upload/target/photo-upload.jar")).as("packaged before integration tests")
                .isRegularFile();
        launcher = root.resolve("bin/spool");
    }

    @Test
    void theDemoRunsBrokerWebAppAndTwoWorkersUntilSigtermStopsThemAll() throws Exception {
        int amqpPort = freePort();
        int httpPort = freePort();
        int webPort = freePort();
        try (SpoolProcess demo = SpoolProcess.start(new ProcessBuilder(launcher.toString(), "demo",
                "--amqp-port", String.valueOf(amqpPort), "--http-port", String.valueOf(httpPort),
                "--web-port", String.valueOf(webPort), "--data-dir", tmp.resolve("demo").toString()), Map.of())) {
            Matcher open = demo.awaitStdout(OPEN, Duration.ofSeconds(180));
            assertThat(Integer.parseInt(open.group(2))).isEqualTo(webPort);
            List<String> output = demo.stdout();
            assertThat(output).anyMatch(l -> l.startsWith("[broker] ") && l.contains("ready: amqp://127.0.0.1:" + amqpPort));
            assertThat(output).anyMatch(l -> l.startsWith("[web] ") && l.contains("photo upload ready: "));
            assertThat(output).anyMatch(l -> l.startsWith("[worker-1] ") && l.contains(" ready: "));
            assertThat(output).anyMatch(l -> l.startsWith("[worker-2] ") && l.contains(" ready: "));
            List<ProcessHandle> javas = demo.process().descendants()
                    .filter(p -> p.info().command().orElse("").endsWith("/java")).toList();
            assertThat(javas).as("broker, web app and two workers").hasSize(4);

            WebClient client = new WebClient(URI.create(open.group(1)));
            String id = client.upload("demo.png", "image/png", TestMedia.png(640, 480)).json().path("id").asText();
            await().atMost(Duration.ofSeconds(60))
                    .until(() -> client.get("/photos/" + id).json().path("status").asText().equals("done"));
            assertThat(Files.list(tmp.resolve("demo/logs")).map(p -> p.getFileName().toString()).toList())
                    .containsExactlyInAnyOrder("broker.log", "web.log", "worker-1.log", "worker-2.log");

            // SIGTERM through the handle: Process.destroy() would also close the pipes we read.
            demo.process().toHandle().destroy();
            assertThat(demo.awaitExit(Duration.ofSeconds(90))).isZero();
            assertThat(javas).noneMatch(ProcessHandle::isAlive);
            assertThat(demo.stdout()).anyMatch(l -> l.startsWith("[broker] ") && l.endsWith("Broker - stopped"));
        }
    }

    @Test
    void aMistypedOptionIsRefusedWithItsName() throws Exception {
        try (SpoolProcess demo = SpoolProcess.start(new ProcessBuilder(launcher.toString(), "demo", "--web-prot", "1"),
                Map.of())) {
            assertThat(demo.awaitExit(Duration.ofSeconds(30))).isEqualTo(1);
            assertThat(demo.stderr()).containsExactly("spool: demo: unknown option '--web-prot' (see bin/spool demo --help)");
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }
}
