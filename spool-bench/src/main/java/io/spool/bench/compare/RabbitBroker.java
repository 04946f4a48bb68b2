package io.spool.bench.compare;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * A RabbitMQ node of our own, started from the Debian package's scripts in the foreground, with
 * everything it writes (Mnesia and message stores, logs, Erlang cookie) in a scratch directory
 * and its own epmd on a free port, so it neither meets the packaged service nor any other
 * Erlang node on the machine. Defaults otherwise: no plugins, no configuration file, so the
 * memory high watermark is 40% of RAM and the disk free limit 50 MB, as a fresh install has.
 *
 * <p>The process measured is the node's {@code beam.smp}; epmd and the small helper processes
 * (erl_child_setup, inet_gethost) are left out.
 *
 * <p>Threads: one thread copies the node's output; the rest is for the driver's thread.
 */
final class RabbitBroker implements BrokerUnderTest {

    private static final String READY_LINE = "Server startup complete";

    private final Process epmd;
    private final Process server;
    private final Path scratch;
    private final Path log;
    private final int amqpPort;
    private final CountDownLatch readyOrGone = new CountDownLatch(1);
    private volatile boolean ready;
    private long beamPid = -1;

    private RabbitBroker(Process epmd, Process server, Path scratch, Path log, int amqpPort) {
        this.epmd = epmd;
        this.server = server;
        this.scratch = scratch;
        this.log = log;
        this.amqpPort = amqpPort;
    }

    /**
     * Starts a node with {@code serverScript} (the package's {@code /usr/lib/rabbitmq/bin/rabbitmq-server},
     * which runs as root without switching user) and waits until it accepts AMQP connections.
     */
    static RabbitBroker start(Path serverScript, Path scratch, Path log) throws IOException, InterruptedException {
        int epmdPort = FreePort.pick();
        int amqpPort = FreePort.pick();
        int distPort = FreePort.pick();
        Files.createDirectories(log.getParent());
        Process epmd = new ProcessBuilder("epmd", "-port", Integer.toString(epmdPort))
                .redirectErrorStream(true)
                .redirectOutput(log.resolveSibling(log.getFileName() + ".epmd").toFile())
                .start();
        ProcessLedger.record(epmd.pid());
        awaitPort(epmd, epmdPort, 10);

        Files.writeString(scratch.resolve("enabled_plugins"), "[].\n");
        ProcessBuilder pb = new ProcessBuilder(serverScript.toString()).redirectErrorStream(true);
        Map<String, String> env = pb.environment();
        env.put("HOME", scratch.toString());
        env.put("ERL_EPMD_PORT", Integer.toString(epmdPort));
        env.put("RABBITMQ_NODENAME", "spool-compare-" + ProcessHandle.current().pid() + "@localhost");
        env.put("RABBITMQ_NODE_IP_ADDRESS", "127.0.0.1");
        env.put("RABBITMQ_NODE_PORT", Integer.toString(amqpPort));
        env.put("RABBITMQ_DIST_PORT", Integer.toString(distPort));
        env.put("RABBITMQ_MNESIA_BASE", scratch.resolve("mnesia").toString());
        env.put("RABBITMQ_LOG_BASE", scratch.resolve("log").toString());
        env.put("RABBITMQ_LOGS", "-");
        env.put("RABBITMQ_ENABLED_PLUGINS_FILE", scratch.resolve("enabled_plugins").toString());
        env.put("RABBITMQ_CONFIG_FILE", scratch.resolve("rabbitmq").toString());
        env.put("RABBITMQ_ADVANCED_CONFIG_FILE", scratch.resolve("advanced.config").toString());
        env.put("RABBITMQ_PID_FILE", scratch.resolve("rabbitmq.pid").toString());
        RabbitBroker b = new RabbitBroker(epmd, pb.start(), scratch, log, amqpPort);
        ProcessLedger.record(b.server.pid());
        Thread reader = new Thread(b::copyOutput, "rabbitmq-output");
        reader.setDaemon(true);
        reader.start();
        try {
            b.awaitReady(180);
        } catch (IOException | RuntimeException | InterruptedException e) {
            b.close();
            throw e;
        }
        return b;
    }

    private static void awaitPort(Process owner, int port, int seconds) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        while (!PortProbe.accepting(port)) {
            if (!owner.isAlive() || System.nanoTime() > deadline) {
                owner.destroyForcibly();
                throw new IOException("epmd did not listen on port " + port);
            }
            Thread.sleep(50);
        }
    }

    private void copyOutput() {
        try (BufferedReader in = new BufferedReader(new InputStreamReader(server.getInputStream(), StandardCharsets.UTF_8));
             PrintWriter out = new PrintWriter(Files.newBufferedWriter(log, StandardCharsets.UTF_8), true)) {
            String line;
            while ((line = in.readLine()) != null) {
                out.println(line);
                if (!ready && line.contains(READY_LINE)) {
                    ready = true;
                    readyOrGone.countDown();
                }
            }
        } catch (IOException e) {
            // the node is gone; awaitReady says so
        } finally {
            readyOrGone.countDown();
        }
    }

    private void awaitReady(int seconds) throws IOException, InterruptedException {
        if (!readyOrGone.await(seconds, TimeUnit.SECONDS) || !ready) {
            throw new IOException("RabbitMQ did not start within " + seconds + " s; see " + log);
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!PortProbe.accepting(amqpPort)) {
            if (System.nanoTime() > deadline) {
                throw new IOException("RabbitMQ said it started but does not accept on port " + amqpPort);
            }
            Thread.sleep(50);
        }
        beamPid = server.descendants()
                .filter(p -> p.info().command().map(c -> c.endsWith("beam.smp")).orElse(false))
                .mapToLong(ProcessHandle::pid)
                .findFirst()
                .orElseThrow(() -> new IOException("no beam.smp process under the RabbitMQ script"));
        ProcessLedger.record(beamPid);
    }

    @Override
    public long measuredPid() {
        return beamPid;
    }

    @Override
    public int amqpPort() {
        return amqpPort;
    }

    @Override
    public Path dataDir() {
        return scratch.resolve("mnesia");
    }

    @Override
    public List<String> logProblems() throws IOException {
        return BrokerLog.problems(log, l -> l.contains(READY_LINE),
                l -> l.contains("[warning]") || l.contains("[error]") || l.contains("alarm"));
    }

    /** SIGTERM to the script, which passes it to the node: a clean stop, then epmd goes too. */
    @Override
    public void stop() throws InterruptedException {
        try {
            if (server.isAlive()) {
                server.destroy();
                if (!server.waitFor(120, TimeUnit.SECONDS)) {
                    throw new IllegalStateException("RabbitMQ did not stop within 120 s of SIGTERM; see " + log);
                }
            }
        } finally {
            close();
        }
    }

    /** Kills whatever is left: the node, its helpers, the script and epmd. */
    @Override
    public void close() {
        server.descendants().forEach(ProcessHandle::destroyForcibly);
        server.destroyForcibly();
        epmd.destroy();
        try {
            if (!epmd.waitFor(10, TimeUnit.SECONDS)) {
                epmd.destroyForcibly();
            }
            server.waitFor(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
