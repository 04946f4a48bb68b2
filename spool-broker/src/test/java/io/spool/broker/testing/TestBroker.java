package io.spool.broker.testing;

import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import io.spool.broker.Broker;
import io.spool.broker.BrokerConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * A broker started in-process on free ports for each test, and RabbitMQ Java client
 * connections to it that are closed after the test. Use with {@code @RegisterExtension}.
 */
public final class TestBroker implements BeforeEachCallback, AfterEachCallback {

    private final UnaryOperator<BrokerConfig.Builder> customize;
    private final List<Connection> connections = new ArrayList<>();
    private BrokerConfig config;
    private Broker broker;

    public TestBroker() {
        this(b -> b);
    }

    public TestBroker(UnaryOperator<BrokerConfig.Builder> customize) {
        this.customize = customize;
    }

    @Override
    public void beforeEach(ExtensionContext context) throws Exception {
        BrokerConfig.Builder b = BrokerConfig.builder()
                .amqpPort(0)
                .httpPort(0)
                .dataDir(Files.createTempDirectory("spool-test"))
                .shutdownTimeoutMillis(2_000);
        config = customize.apply(b).build();
        broker = new Broker(config).start();
    }

    @Override
    public void afterEach(ExtensionContext context) {
        for (Connection c : connections) {
            if (c.isOpen()) {
                try {
                    c.abort(1_000);
                } catch (RuntimeException ignored) {
                    // the test may have broken it on purpose
                }
            }
        }
        connections.clear();
        broker.stop();
        deleteDataDir();
    }

    private void deleteDataDir() {
        try (var walk = Files.walk(config.dataDir())) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        } catch (IOException ignored) {
            // a leftover temporary directory harms no later test
        }
    }

    /**
     * Stops the broker gracefully (clients are told connection.close) and starts a new one on
     * the same data directory, on new free ports. Connections made before are closed by then.
     */
    public Broker restart() throws Exception {
        return restart(b -> b);
    }

    /** As {@link #restart()}, with some settings changed for the new broker (the data directory stays). */
    public Broker restart(UnaryOperator<BrokerConfig.Builder> change) throws Exception {
        broker.stop();
        config = change.apply(config.toBuilder()).dataDir(config.dataDir()).amqpPort(0).httpPort(0).build();
        broker = new Broker(config).start();
        return broker;
    }

    /** Where the broker keeps its durable state; it survives {@link #restart()}. */
    public Path dataDir() {
        return config.dataDir();
    }

    public Broker broker() {
        return broker;
    }

    public int port() {
        return broker.amqpPort();
    }

    /** A factory for this broker with the client's defaults (guest/guest, vhost "/"). */
    public ConnectionFactory factory() {
        ConnectionFactory f = new ConnectionFactory();
        f.setHost("127.0.0.1");
        f.setPort(port());
        f.setAutomaticRecoveryEnabled(false);
        f.setRequestedHeartbeat(0);
        return f;
    }

    /** A new connection, closed after the test. */
    public Connection connect() throws Exception {
        return track(factory().newConnection());
    }

    public Connection track(Connection c) {
        connections.add(c);
        return c;
    }
}
