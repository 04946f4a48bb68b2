package io.spool.broker.amqp;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.ServerChannel;
import io.spool.broker.BrokerConfig;
import io.spool.broker.auth.Authenticator;
import io.spool.broker.model.MessageMemory;
import io.spool.broker.model.ResourceAlarms;
import io.spool.broker.store.GroupCommit;
import io.spool.broker.model.VirtualHost;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * The AMQP listener: accepts connections on the event loops, keeps the set of live ones, and
 * closes them all when the broker stops. Thread-safe.
 */
public final class AmqpServer {

    private final BrokerConfig config;
    private final Function<String, VirtualHost> vhosts;
    private final Authenticator authenticator;
    private final MessageMemory memory;
    private final ResourceAlarms alarms;
    private final GroupCommit commit;
    private final Set<AmqpConnection> connections = ConcurrentHashMap.newKeySet();
    private Channel listener;

    public AmqpServer(BrokerConfig config, Function<String, VirtualHost> vhosts, Authenticator authenticator,
                      MessageMemory memory, ResourceAlarms alarms, GroupCommit commit) {
        this.config = config;
        this.vhosts = vhosts;
        this.authenticator = authenticator;
        this.memory = memory;
        this.alarms = alarms;
        this.commit = commit;
        alarms.addListener(() -> {
            for (AmqpConnection c : connections) {
                c.alarmCleared();
            }
        });
    }

    /** Binds the listener; throws the bind failure (for example, the port is taken). */
    public void start(EventLoopGroup boss, EventLoopGroup workers, Class<? extends ServerChannel> serverChannel) throws InterruptedException {
        ServerBootstrap b = new ServerBootstrap()
                .group(boss, workers)
                .channel(serverChannel)
                .option(ChannelOption.SO_BACKLOG, 1024)
                .option(ChannelOption.SO_REUSEADDR, true)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childOption(ChannelOption.SO_KEEPALIVE, true)
                .childOption(ChannelOption.WRITE_BUFFER_WATER_MARK, new WriteBufferWaterMark(256 * 1024, 1024 * 1024))
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        FrameDecoder decoder = new FrameDecoder(config.frameMax() + Frame.OVERHEAD);
                        ch.pipeline().addLast("frames", decoder);
                        ch.pipeline().addLast("amqp", new AmqpConnection(AmqpServer.this, decoder));
                    }
                });
        listener = b.bind(config.bind(), config.amqpPort()).sync().channel();
    }

    public int port() {
        return ((InetSocketAddress) listener.localAddress()).getPort();
    }

    BrokerConfig config() {
        return config;
    }

    Authenticator authenticator() {
        return authenticator;
    }

    VirtualHost vhost(String name) {
        return vhosts.apply(name);
    }

    MessageMemory memory() {
        return memory;
    }

    ResourceAlarms alarms() {
        return alarms;
    }

    GroupCommit commit() {
        return commit;
    }

    boolean register(AmqpConnection c) {
        if (config.maxConnections() > 0 && connections.size() >= config.maxConnections()) {
            return false;
        }
        connections.add(c);
        return true;
    }

    void unregister(AmqpConnection c) {
        connections.remove(c);
    }

    public List<AmqpConnection> connections() {
        return new ArrayList<>(connections);
    }

    /** Stops accepting connections. */
    public void stopAccepting() {
        if (listener != null) {
            listener.close().syncUninterruptibly();
        }
    }

    /**
     * Sends every client connection.close (320) with the reason and waits up to the timeout
     * for the sockets to close.
     */
    public void closeAll(String reason, long timeoutMillis) {
        List<ChannelFuture> closing = new ArrayList<>();
        for (AmqpConnection c : connections) {
            closing.add(c.shutdown(reason));
        }
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
        for (ChannelFuture f : closing) {
            long left = deadline - System.nanoTime();
            if (left <= 0 || !f.awaitUninterruptibly(TimeUnit.NANOSECONDS.toMillis(left))) {
                break;
            }
        }
    }
}
