package dev.tether.server.http;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufHolder;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpStatusClass;
import io.netty.handler.codec.http.LastHttpContent;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.ArrayDeque;
import java.util.Deque;

/**
 * Follows the requests of one HTTP/1.1 connection, between Netty's HTTP decoder and the {@link RequestGuard}
 * (so the guard's own refusals are seen too): gives each request its id ({@link RequestIds}) by setting the
 * {@value RequestIds#HEADER} header of the request head (Vert.x handlers read it from there) and of its response,
 * counts the response's bytes, and hands each finished {@link Exchange} to the {@link AccessLog}.
 *
 * <p>Requests may be pipelined: exchanges wait in arrival order and responses come in the same order, so a
 * response belongs to the oldest exchange. A WebSocket upgrade (101) stays open until the connection closes;
 * a connection that closes with exchanges unfinished finishes them (status 0 when no response started).
 *
 * <p>Not thread safe: owned by the channel's event loop, like every field below.
 */
final class ExchangeTracker extends ChannelDuplexHandler {

    static final String NAME = "tether-exchange-tracker";

    private final AccessLog log;
    /**
     * Exchanges whose response has not ended, oldest first. Sized for one (it grows for pipelined requests): an
     * agent's connection keeps its tracker, and this, for as long as it lasts.
     */
    private final Deque<Exchange> open = new ArrayDeque<>(1);
    /** The peer's address as logged; set on the first request. */
    private String remote;

    ExchangeTracker(AccessLog log) {
        this.log = log;
    }

    /** The unfinished exchange with this id (the oldest if a client reused one), or null. */
    Exchange find(String id) {
        for (Exchange exchange : open) {
            if (exchange.id.equals(id)) {
                return exchange;
            }
        }
        return null;
    }

    String remote() {
        return remote;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (msg instanceof HttpRequest head) {
            if (remote == null) {
                remote = address(ctx.channel().remoteAddress());
            }
            String id = RequestIds.acceptOrGenerate(head.headers().get(RequestIds.HEADER));
            head.headers().set(RequestIds.HEADER, id);
            String path = BodyLimits.path(head.uri());
            String route = log.route(path);
            String logged = Exchange.printable(path, Exchange.MAX_LOGGED_PATH);
            // A path that is its route (an agent's /v1/agents/connect) keeps the route's string, not one of its own.
            open.addLast(new Exchange(id, System.nanoTime(), Exchange.printable(head.method().name(), 16),
                    logged.equals(route) ? route : logged, route));
        }
        ctx.fireChannelRead(msg);
    }

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
        Exchange exchange = open.peekFirst();
        if (exchange != null) {
            written(exchange, msg);
        }
        ctx.write(msg, promise);
    }

    private void written(Exchange exchange, Object msg) {
        boolean informational = false;
        if (msg instanceof HttpResponse response) {
            informational = response.status().codeClass() == HttpStatusClass.INFORMATIONAL
                    && response.status().code() != 101;
            if (!informational) {
                exchange.status = response.status().code();
                response.headers().set(RequestIds.HEADER, exchange.id);
            }
        }
        if (msg instanceof ByteBufHolder holder) {
            exchange.bytes += holder.content().readableBytes();
        } else if (msg instanceof ByteBuf bytes) {
            exchange.bytes += bytes.readableBytes();
        }
        if (msg instanceof LastHttpContent && !informational && !exchange.upgraded()) {
            open.removeFirst();
            log.finished(exchange, remote);
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        while (!open.isEmpty()) {
            log.finished(open.removeFirst(), remote);
        }
        ctx.fireChannelInactive();
    }

    /**
     * Leaves the pipeline, handing what it tracks to the caller: the exchanges still open (the upgrade's among
     * them), or null when there are none. Event loop only.
     */
    UpgradedExchange handOver(ChannelHandlerContext ctx) {
        Exchange[] exchanges = open.toArray(new Exchange[0]);
        open.clear();
        ctx.pipeline().remove(this);
        return exchanges.length == 0 ? null : new UpgradedExchange(log, ctx.channel(), exchanges);
    }

    /** The peer's address as logged: {@code host:port}. */
    static String address(SocketAddress address) {
        if (address instanceof InetSocketAddress inet && inet.getAddress() != null) {
            return inet.getAddress().getHostAddress() + ":" + inet.getPort();
        }
        return String.valueOf(address);
    }
}
