package io.spool.broker;

import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.spool.broker.amqp.AmqpServer;
import io.spool.broker.auth.Authenticator;
import io.spool.broker.http.HttpServer;
import io.spool.broker.model.MessageMemory;
import io.spool.broker.model.VirtualHost;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The broker: one virtual host, the AMQP listener and the management HTTP listener, started
 * and stopped together. Embeddable: tests start one on port 0 and ask for the port.
 */
public final class Broker implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(Broker.class);

    private final BrokerConfig config;
    private final MessageMemory memory;
    private final VirtualHost vhost;
    private final AmqpServer amqp;
    private final HttpServer http;
    private EventLoopGroup boss;
    private EventLoopGroup workers;
    private volatile boolean running;

    public Broker(BrokerConfig config) {
        this.config = config;
        this.memory = new MessageMemory(config.effectiveMemoryHighWatermark());
        this.vhost = new VirtualHost("/", memory);
        this.amqp = new AmqpServer(config, name -> name.equals(vhost.name()) ? vhost : null, new Authenticator(), memory);
        this.http = config.httpPort() >= 0 ? new HttpServer(config, this) : null;
    }

    /**
     * Starts listening. On failure (a port already taken) everything started so far is
     * stopped and the cause is thrown.
     */
    public Broker start() throws ListenException {
        long started = System.nanoTime();
        boss = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
        workers = new MultiThreadIoEventLoopGroup(config.effectiveIoThreads(), NioIoHandler.newFactory());
        try {
            try {
                amqp.start(boss, workers);
            } catch (Exception e) {
                throw new ListenException("AMQP", config.bind(), config.amqpPort(), e);
            }
            if (http != null) {
                try {
                    http.start(boss, workers);
                } catch (Exception e) {
                    amqp.stopAccepting();
                    throw new ListenException("HTTP", config.bind(), config.httpPort(), e);
                }
            }
        } catch (ListenException e) {
            shutdownLoops();
            throw e;
        }
        running = true;
        log.info("started in {} ms; memory high watermark {} MiB", TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started),
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
        log.info("stopped");
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
