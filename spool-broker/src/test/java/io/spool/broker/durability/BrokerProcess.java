package io.spool.broker.durability;

import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import io.spool.broker.testing.SpoolProcess;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code spool server} as a child process on a given data directory, on free ports, with the
 * Java client connections made to it. {@link #kill()} is a kill -9; {@link #close()} kills what
 * is still running and aborts the connections. Public for the job-semantics restart tests.
 */
public final class BrokerProcess implements AutoCloseable {

    private static final Pattern MANAGEMENT = Pattern.compile("management (http://127\\.0\\.0\\.1:\\d+)");

    private final SpoolProcess process;
    private final int port;
    private final String httpUri;
    private final List<Connection> connections = new ArrayList<>();

    private BrokerProcess(SpoolProcess process, int port, String httpUri) {
        this.process = process;
        this.port = port;
        this.httpUri = httpUri;
    }

    /** Starts a broker and waits until it is ready. */
    public static BrokerProcess start(Path dataDir, List<String> jvmArgs, String... extraArgs) throws Exception {
        List<String> args = new ArrayList<>(List.of("server", "--amqp-port", "0", "--http-port", "0",
                "--data-dir", dataDir.toString()));
        args.addAll(List.of(extraArgs));
        SpoolProcess p = SpoolProcess.java(jvmArgs, args, Map.of());
        try {
            int port = Integer.parseInt(p.awaitStdout(SpoolProcess.READY, Duration.ofSeconds(60)).group(1));
            String readyLine = p.stdout().stream().filter(l -> SpoolProcess.READY.matcher(l).find())
                    .findFirst().orElseThrow();
            Matcher http = MANAGEMENT.matcher(readyLine);
            return new BrokerProcess(p, port, http.find() ? http.group(1) : null);
        } catch (Throwable t) {
            p.close();
            throw t;
        }
    }

    public static BrokerProcess start(Path dataDir, String... extraArgs) throws Exception {
        return start(dataDir, List.of(), extraArgs);
    }

    public SpoolProcess process() {
        return process;
    }

    public String httpUri() {
        return httpUri;
    }

    public ConnectionFactory factory() {
        ConnectionFactory f = new ConnectionFactory();
        f.setHost("127.0.0.1");
        f.setPort(port);
        f.setAutomaticRecoveryEnabled(false);
        f.setRequestedHeartbeat(0);
        return f;
    }

    /** A new connection, aborted at {@link #close()}. */
    public synchronized Connection connect() throws Exception {
        Connection c = factory().newConnection();
        connections.add(c);
        return c;
    }

    /** SIGKILL: the broker gets no chance to flush, close or mark anything. */
    public void kill() throws InterruptedException {
        process.process().destroyForcibly();
        process.awaitExit(Duration.ofSeconds(30));
        abortConnections();
    }

    /** SIGTERM: the broker stops gracefully; returns its exit code. */
    public int stop() throws InterruptedException {
        process.process().destroy();
        int code = process.awaitExit(Duration.ofSeconds(30));
        abortConnections();
        return code;
    }

    private synchronized void abortConnections() {
        for (Connection c : connections) {
            c.abort(1_000);
        }
        connections.clear();
    }

    @Override
    public void close() {
        abortConnections();
        process.close();
    }
}
