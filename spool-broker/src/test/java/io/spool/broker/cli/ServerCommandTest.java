package io.spool.broker.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import com.rabbitmq.client.GetResponse;
import com.rabbitmq.client.ShutdownSignalException;
import io.spool.broker.testing.SpoolProcess;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The {@code spool server} contract that scripts rely on, checked against a broker running as a
 * child process: the ready line, graceful stop on SIGTERM, one-line errors with exit code 1
 * when a port is taken, and settings from flags, {@code SPOOL_*} variables and a config file.
 */
class ServerCommandTest {

    private static final Duration EXIT_TIMEOUT = Duration.ofSeconds(30);
    /** A log line as the broker writes it: plain text, no colours, one event per line. */
    private static final Pattern LOG_LINE =
            Pattern.compile("\\d{4}-\\d{2}-\\d{2} \\d{2}:\\d{2}:\\d{2}\\.\\d{3} (TRACE|DEBUG|INFO |WARN |ERROR) \\S+ - .*");
    private static final Pattern MANAGEMENT_URI = Pattern.compile("management http://127\\.0\\.0\\.1:(\\d+)");

    @TempDir
    Path tmp;

    private final List<SpoolProcess> processes = new ArrayList<>();
    private final List<Connection> connections = new ArrayList<>();

    @AfterEach
    void cleanUp() throws Exception {
        for (Connection c : connections) {
            if (c.isOpen()) {
                c.abort(1_000);
            }
        }
        for (SpoolProcess p : processes) {
            p.close();
        }
    }

    private SpoolProcess spool(Map<String, String> env, String... args) throws IOException {
        SpoolProcess p = SpoolProcess.java(List.of(args), env);
        processes.add(p);
        return p;
    }

    private SpoolProcess server(String... extraArgs) throws IOException {
        List<String> args = new ArrayList<>(List.of("server", "--amqp-port", "0", "--http-port", "0",
                "--data-dir", tmp.resolve("data").toString()));
        args.addAll(List.of(extraArgs));
        return spool(Map.of(), args.toArray(String[]::new));
    }

    private Connection connect(int port) throws Exception {
        ConnectionFactory f = new ConnectionFactory();
        f.setHost("127.0.0.1");
        f.setPort(port);
        f.setAutomaticRecoveryEnabled(false);
        f.setRequestedHeartbeat(0);
        Connection c = f.newConnection();
        connections.add(c);
        return c;
    }

    private static ServerSocket busyPort() throws IOException {
        return new ServerSocket(0, 50, InetAddress.getByName("127.0.0.1"));
    }

    private static void assertNoStackTrace(SpoolProcess p) {
        List<String> all = new ArrayList<>(p.stdout());
        all.addAll(p.stderr());
        assertThat(all).as(p.transcript()).noneMatch(l -> l.contains("Exception") || l.startsWith("\tat "));
    }

    @Test
    void readyLineNamesTheBoundPortsAndClientsCanUseThem() throws Exception {
        SpoolProcess p = server();
        int port = p.awaitReady();

        assertThat(port).isPositive();
        Channel ch = connect(port).createChannel();
        String q = ch.queueDeclare().getQueue();
        ch.basicPublish("", q, null, "hello".getBytes(StandardCharsets.UTF_8));
        GetResponse got = ch.basicGet(q, true);
        assertThat(new String(got.getBody(), StandardCharsets.UTF_8)).isEqualTo("hello");

        String ready = p.stdout().stream().filter(l -> l.contains("amqp://")).reduce((a, b) -> b).orElseThrow();
        Matcher management = MANAGEMENT_URI.matcher(ready);
        assertThat(management.find()).as(ready).isTrue();
        HttpResponse<String> overview = HttpClient.newHttpClient().send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + management.group(1) + "/api/overview")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(overview.statusCode()).isEqualTo(200);

        assertThat(p.stdout()).as(p.transcript()).filteredOn(l -> l.contains("amqp://")).hasSize(1);
        assertThat(p.stdout()).as(p.transcript()).allMatch(l -> LOG_LINE.matcher(l).matches());
        assertThat(p.stderr()).as(p.transcript()).isEmpty();
    }

    @Test
    void sigtermClosesEveryClientWith320AndExitsZero() throws Exception {
        SpoolProcess p = server();
        Connection conn = connect(p.awaitReady());
        Channel ch = conn.createChannel();
        String q = ch.queueDeclare().getQueue();
        ch.basicConsume(q, false, (tag, d) -> { }, tag -> { });
        CompletableFuture<ShutdownSignalException> closed = new CompletableFuture<>();
        conn.addShutdownListener(closed::complete);

        p.process().destroy(); // SIGTERM

        ShutdownSignalException cause = closed.get(EXIT_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
        assertThat(cause.isHardError()).isTrue();
        assertThat(cause.isInitiatedByApplication()).as("closed by the broker").isFalse();
        assertThat(cause.getReason()).isInstanceOfSatisfying(AMQP.Connection.Close.class,
                close -> assertThat(close.getReplyCode()).isEqualTo(320));
        assertThat(p.awaitExit(EXIT_TIMEOUT)).as(p.transcript()).isZero();
        assertThat(p.stderr()).as(p.transcript()).isEmpty();
        assertNoStackTrace(p);
    }

    @Test
    void amqpPortInUseIsOneLineOnStderrAndExitCode1() throws Exception {
        try (ServerSocket busy = busyPort()) {
            SpoolProcess p = spool(Map.of(), "server", "--amqp-port", String.valueOf(busy.getLocalPort()),
                    "--http-port", "0", "--data-dir", tmp.toString());

            assertThat(p.awaitExit(EXIT_TIMEOUT)).as(p.transcript()).isEqualTo(1);
            assertThat(p.stderr()).as(p.transcript()).singleElement().satisfies(line -> assertThat(line)
                    .contains(String.valueOf(busy.getLocalPort())).contains("AMQP").containsIgnoringCase("in use"));
            assertNoStackTrace(p);
        }
    }

    @Test
    void httpPortInUseIsOneLineOnStderrAndExitCode1() throws Exception {
        try (ServerSocket busy = busyPort()) {
            SpoolProcess p = spool(Map.of(), "server", "--amqp-port", "0",
                    "--http-port", String.valueOf(busy.getLocalPort()), "--data-dir", tmp.toString());

            assertThat(p.awaitExit(EXIT_TIMEOUT)).as(p.transcript()).isEqualTo(1);
            assertThat(p.stderr()).as(p.transcript()).singleElement().satisfies(line -> assertThat(line)
                    .contains(String.valueOf(busy.getLocalPort())).contains("HTTP").containsIgnoringCase("in use"));
            assertNoStackTrace(p);
        }
    }

    @Test
    void unusableDataDirectoryIsOneLineOnStderrAndExitCode1() throws Exception {
        Path file = Files.writeString(tmp.resolve("not-a-dir"), "x");
        SpoolProcess p = spool(Map.of(), "server", "--amqp-port", "0", "--http-port", "0",
                "--data-dir", file.resolve("data").toString());

        assertThat(p.awaitExit(EXIT_TIMEOUT)).as(p.transcript()).isEqualTo(1);
        assertThat(p.stderr()).as(p.transcript()).singleElement().satisfies(line -> assertThat(line)
                .contains(file.resolve("data").toString()).containsIgnoringCase("not a directory"));
        assertNoStackTrace(p);
    }

    @Test
    void environmentVariablesConfigureTheServer() throws Exception {
        Path dataDir = tmp.resolve("from-env");
        SpoolProcess p = spool(Map.of(
                "SPOOL_AMQP_PORT", "0",
                "SPOOL_HTTP_PORT", "-1",
                "SPOOL_DATA_DIR", dataDir.toString(),
                "SPOOL_CHANNEL_MAX", "7"), "server");

        Connection conn = connect(p.awaitReady());

        assertThat(conn.getChannelMax()).isEqualTo(7);
        assertThat(p.stdout()).as(p.transcript()).anySatisfy(l -> assertThat(l).contains("ready: amqp://")
                .contains("management off").contains(dataDir.toString()));
        assertThat(dataDir).isDirectory();
    }

    @Test
    void configFileConfiguresTheServer() throws Exception {
        Path dataDir = tmp.resolve("from-file");
        Path config = Files.writeString(tmp.resolve("spool.properties"), """
                # a comment
                amqp-port = 0
                http-port = -1
                data-dir = %s
                frame-max = 8192
                """.formatted(dataDir));
        SpoolProcess p = spool(Map.of(), "server", "--config", config.toString());

        Connection conn = connect(p.awaitReady());

        assertThat(conn.getFrameMax()).isEqualTo(8192);
        assertThat(p.stdout()).as(p.transcript()).anySatisfy(l -> assertThat(l).contains("ready: amqp://")
                .contains("management off").contains(dataDir.toString()));
        assertThat(dataDir).isDirectory();
    }

    @Test
    void configFileCanBeNamedBySpoolConfig() throws Exception {
        Path config = Files.writeString(tmp.resolve("spool.properties"), """
                amqp-port=0
                http-port=-1
                data-dir=%s
                channel-max=11
                """.formatted(tmp.resolve("data")));
        SpoolProcess p = spool(Map.of("SPOOL_CONFIG", config.toString()), "server");

        assertThat(connect(p.awaitReady()).getChannelMax()).isEqualTo(11);
    }

    @Test
    void flagsBeatEnvironmentWhichBeatsConfigFile() throws Exception {
        try (ServerSocket busy = busyPort()) {
            Path config = Files.writeString(tmp.resolve("spool.properties"), """
                    amqp-port = %d
                    http-port = 0
                    data-dir = %s
                    heartbeat = 10
                    channel-max = 5
                    frame-max = 8192
                    """.formatted(busy.getLocalPort(), tmp.resolve("data")));
            SpoolProcess p = spool(Map.of(
                            "SPOOL_AMQP_PORT", String.valueOf(busy.getLocalPort()),
                            "SPOOL_HTTP_PORT", "-1",
                            "SPOOL_HEARTBEAT", "20",
                            "SPOOL_CHANNEL_MAX", "7"),
                    "server", "--config", config.toString(), "--amqp-port", "0", "--heartbeat", "30");

            // Both the file and the environment name a port that is taken: only the flag's 0 can work.
            Connection conn = connect(p.awaitReady());

            assertThat(conn.getHeartbeat()).as("flag over environment and file").isEqualTo(30);
            assertThat(conn.getChannelMax()).as("environment over file").isEqualTo(7);
            assertThat(p.stdout()).as("environment over file").anySatisfy(l -> assertThat(l).contains("management off"));
            assertThat(conn.getFrameMax()).as("file over default").isEqualTo(8192);
        }
    }

    @Test
    void unrelatedSpoolVariablesDoNotBreakStartup() throws Exception {
        // Images often carry their own version in the environment; it is not a flag.
        SpoolProcess p = spool(Map.of("SPOOL_VERSION", "1.4.2", "SPOOL_HELP", "see the README"),
                "server", "--amqp-port", "0", "--http-port", "0", "--data-dir", tmp.toString());

        assertThat(p.awaitReady()).isPositive();
        assertThat(p.stderr()).as(p.transcript()).isEmpty();
    }

    @Test
    void missingConfigFileIsOneLineErrorNotAStackTrace() throws Exception {
        Path missing = tmp.resolve("nope.properties");
        SpoolProcess p = spool(Map.of(), "server", "--config", missing.toString());

        assertThat(p.awaitExit(EXIT_TIMEOUT)).as(p.transcript()).isEqualTo(2);
        assertThat(p.stderr()).as(p.transcript()).singleElement().satisfies(line ->
                assertThat(line).contains(missing.toString()));
        assertNoStackTrace(p);
    }

    @Test
    void helpDescribesTheCommandAndItsFlags() throws Exception {
        SpoolProcess top = spool(Map.of(), "--help");
        assertThat(top.awaitExit(EXIT_TIMEOUT)).as(top.transcript()).isZero();
        assertThat(String.join("\n", top.stdout())).contains("Usage: spool").contains("server");
        assertThat(top.stderr()).as(top.transcript()).isEmpty();

        SpoolProcess server = spool(Map.of(), "server", "--help");
        assertThat(server.awaitExit(EXIT_TIMEOUT)).as(server.transcript()).isZero();
        assertThat(String.join("\n", server.stdout()))
                .contains("--amqp-port", "--http-port", "--data-dir", "--bind", "--config")
                .contains("Default: 5672", "Default: 15672", "Default: ./data", "Default: 127.0.0.1");
        assertThat(server.stderr()).as(server.transcript()).isEmpty();
    }
}
