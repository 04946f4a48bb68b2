package io.spool.broker;

import io.netty.channel.IoHandlerFactory;
import io.netty.channel.ServerChannel;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioServerSocketChannel;

/**
 * The network transport: Linux's epoll when Netty's native library loads (cheaper wake-ups and
 * I/O), Java NIO everywhere else. Set {@code -Dspool.transport=nio} to force NIO.
 */
public enum Transport {
    EPOLL, NIO;

    public static Transport best() {
        if (!"nio".equals(System.getProperty("spool.transport")) && Epoll.isAvailable()) {
            return EPOLL;
        }
        return NIO;
    }

    public IoHandlerFactory ioHandlerFactory() {
        return this == EPOLL ? EpollIoHandler.newFactory() : NioIoHandler.newFactory();
    }

    public Class<? extends ServerChannel> serverChannel() {
        return this == EPOLL ? EpollServerSocketChannel.class : NioServerSocketChannel.class;
    }
}
