package io.spool.broker.http;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.ServerChannel;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpServerCodec;
import io.spool.broker.Broker;
import io.spool.broker.BrokerConfig;
import java.net.InetSocketAddress;

/**
 * The management HTTP listener. It serves the read-only part of RabbitMQ's management API that
 * scripts check first (overview, queues, exchanges, connections, health); the management issue
 * grows it into the full API and console.
 */
public final class HttpServer {

    private final BrokerConfig config;
    private final ManagementApi api;
    private Channel listener;

    public HttpServer(BrokerConfig config, Broker broker) {
        this.config = config;
        this.api = new ManagementApi(broker);
    }

    public void start(EventLoopGroup boss, EventLoopGroup workers, Class<? extends ServerChannel> serverChannel) throws InterruptedException {
        listener = new ServerBootstrap()
                .group(boss, workers)
                .channel(serverChannel)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        ch.pipeline().addLast(new HttpServerCodec());
                        ch.pipeline().addLast(new HttpObjectAggregator(64 * 1024));
                        ch.pipeline().addLast(new HttpHandler(api));
                    }
                })
                .bind(config.bind(), config.httpPort()).sync().channel();
    }

    public int port() {
        return ((InetSocketAddress) listener.localAddress()).getPort();
    }

    public void stop() {
        if (listener != null) {
            listener.close().syncUninterruptibly();
        }
    }
}
