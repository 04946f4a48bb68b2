package io.spool.broker;

import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.spool.broker.amqp.AmqpServer;
import io.spool.broker.auth.Authenticator;
import io.spool.broker.http.HttpServer;
import io.spool.broker.model.MessageMemory;
import io.spool.broker.model.ResourceAlarms;
import io.spool.broker.model.VirtualHost;
import io.spool.broker.store.Storage;
import java.io.IOException;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The broker: the data directory, one virtual host, the AMQP listener and the management HTTP
 * listener, started and stopped together. Embeddable: tests start one on port 0 and ask for
 * the port.
 */
public final class Broker implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(Broker.class);

    private final BrokerConfig config;
    private final ResourceAlarms alarms = new ResourceAlarms();
    private final Transport transport = Transport.best();
    private final MessageMemory memory;
    private final HttpServer http;
    private Storage storage;
    private DiskMonitor diskMonitor;
    private VirtualHost vhost;
    private AmqpServer amqp;
    private EventLoopGroup boss;
    private EventLoopGroup workers;
    private volatile boolean running;

    public Broker(BrokerConfig config) {
        this.config = config;
        this.memory = new MessageMemory(config.effectiveMemoryHighWatermark(), alarms);
        this.http = config.httpPort() >= 0 ? new HttpServer(config, this) : null;
    }

    /**
     * Opens the data directory, recovers what a previous run left there, then starts
     * listening. On failure (a port already taken, the data directory locked or unusable)
     * everything started so far is stopped and the cause is thrown.
     */
    public Broker start() throws StartException {
        long started = System.nanoTime();
        try {
            storage = new Storage(config.dataDir(), config.segmentSize());
        } catch (IOException e) {
            throw new StartException("cannot use data directory " + config.dataDir() + ": " + e.getMessage(), e);
        }
        vhost = new VirtualHost("/", memory, storage);
        try {
            VirtualHost.RestoreReport r = vhost.restore();
            log.info("recovered {} exchanges, {} queues, {} bindings and {} messages in {} ms "
                            + "({} damaged records skipped, {} bytes of torn tail cut)",
                    r.exchanges(), r.queues(), r.bindings(), r.messages(), r.millis(), r.damaged(), r.cutBytes());
            vhost.startDelayedMessages();
        } catch (IOException | RuntimeException e) {
            storage.close();
            throw new StartException("cannot recover from data directory " + config.dataDir() + ": " + e, e);
        }
        diskMonitor = new DiskMonitor(storage, config.diskFreeLimit(), alarms);
        diskMonitor.start();
        amqp = new AmqpServer(config, name -> name.equals(vhost.name()) ? vhost : null, new Authenticator(), memory,
                alarms, storage.commit());
        boss = new MultiThreadIoEventLoopGroup(1, transport.ioHandlerFactory());
        workers = new MultiThreadIoEventLoopGroup(config.effectiveIoThreads(), transport.ioHandlerFactory());
        try {
            try {
                amqp.start(boss, workers, transport.serverChannel());
            } catch (Exception e) {
                throw new ListenException("AMQP", config.bind(), config.amqpPort(), e);
            }
            if (http != null) {
                try {
                    http.start(boss, workers, transport.serverChannel());
                } catch (Exception e) {
                    amqp.stopAccepting();
                    throw new ListenException("HTTP", config.bind(), config.httpPort(), e);
                }
            }
        } catch (ListenException e) {
            shutdownLoops();
            closeStorage();
            throw e;
        }
        running = true;
        log.info("started in {} ms; {} transport, memory high watermark {} MiB",
                TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started), transport.name().toLowerCase(),
                memory.highWatermark() / (1024 * 1024));
        return this;
    }

    public BrokerConfig config() {
        return config;
    }

    public VirtualHost vhost() {
        return vhost;
    }

    public MessageMemory memory() {
        return memory;
    }

    public ResourceAlarms alarms() {
        return alarms;
    }

    public Storage storage() {
        return storage;
    }

    public AmqpServer amqp() {
        return amqp;
    }

    public int amqpPort() {
        return amqp.port();
    }

    /** The HTTP port, or -1 when the management listener is off. */
    public int httpPort() {
        return http == null ? -1 : http.port();
    }

    public String amqpUri() {
        return "amqp://" + hostForUri(config.bind()) + ":" + amqpPort();
    }

    public String httpUri() {
        return http == null ? null : "http://" + hostForUri(config.bind()) + ":" + httpPort();
    }

    private static String hostForUri(String bind) {
        return bind.contains(":") ? "[" + bind + "]" : bind;
    }

    /**
     * Stops gracefully: no new connections, connection.close (320) to every client, then the
     * event loops. Safe to call more than once.
     */
    public synchronized void stop() {
        if (!running) {
            return;
        }
        running = false;
        log.info("stopping: closing client connections");
        amqp.stopAccepting();
        if (http != null) {
            http.stop();
        }
        amqp.closeAll("broker forced connection closure with reason 'shutdown'", config.shutdownTimeoutMillis());
        shutdownLoops();
        closeStorage();
        log.info("stopped");
    }

    /** After every connection is gone: flush and close each queue's store, release the directory. */
    private void closeStorage() {
        if (diskMonitor != null) {
            diskMonitor.close();
        }
        if (vhost != null) {
            vhost.close();
        }
        if (storage != null) {
            storage.close();
        }
    }

    private void shutdownLoops() {
        if (workers != null) {
            workers.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
        }
        if (boss != null) {
            boss.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
        }
    }

    @Override
    public void close() {
        stop();
    }
}
