package dev.tether.bench.sim;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollChannelOption;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.util.concurrent.DefaultThreadFactory;

/**
 * Netty's client transport for many connections: native epoll when the
 * platform has it (and with {@code IP_BIND_ADDRESS_NO_PORT}, so binding a
 * source address picks the port at connect time and the port limit applies
 * per destination, not per source address), NIO otherwise. Thread safe.
 */
public final class Transport {

    private Transport() {
    }

    public static boolean nativeEpoll() {
        return Epoll.isAvailable();
    }

    /** Event loops named {@code name-N}, daemon threads. */
    public static EventLoopGroup loops(int threads, String name) {
        DefaultThreadFactory factory = new DefaultThreadFactory(name, true);
        return nativeEpoll()
                ? new MultiThreadIoEventLoopGroup(threads, factory, EpollIoHandler.newFactory())
                : new MultiThreadIoEventLoopGroup(threads, factory, NioIoHandler.newFactory());
    }

    /** A client bootstrap for small, latency-sensitive messages: no Nagle, a short connect timeout. */
    public static Bootstrap client() {
        Bootstrap bootstrap = new Bootstrap()
                .option(ChannelOption.TCP_NODELAY, true)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, 10_000);
        if (nativeEpoll()) {
            bootstrap.channel(EpollSocketChannel.class).option(EpollChannelOption.IP_BIND_ADDRESS_NO_PORT, true);
        } else {
            bootstrap.channel(NioSocketChannel.class);
        }
        return bootstrap;
    }
}
