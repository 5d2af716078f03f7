package dev.tether.server.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.tether.server.http.HttpLimits;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.EventLoop;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import io.netty.handler.ssl.SslHandler;
import io.netty.util.ReferenceCountUtil;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketClientOptions;
import io.vertx.core.http.WebSocketConnectOptions;
import io.vertx.core.net.SelfSignedCertificate;
import java.lang.ref.WeakReference;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * {@link WebSocketTakeover} against a real Vert.x HTTP server and WebSocket client: what is left of the
 * connection after the upgrade, and where it lives.
 */
class WebSocketTakeoverTest {

    private static final Duration WAIT = Duration.ofSeconds(10);

    private final Vertx vertx = Vertx.vertx();
    /** Every taken-over channel, in upgrade order. */
    private final ConcurrentLinkedQueue<Channel> channels = new ConcurrentLinkedQueue<>();
    /** What the server's HTTP request and connection objects were, held weakly. */
    private final ConcurrentLinkedQueue<WeakReference<Object>> vertxObjects = new ConcurrentLinkedQueue<>();

    @AfterEach
    void stop() throws Exception {
        vertx.close().await(10, TimeUnit.SECONDS);
    }

    @Test
    void afterTheUpgradeThePipelineHoldsOneHandlerAndNothingOfVertx() throws Exception {
        int port = listen(new HttpServerOptions());
        WebSocket ws = connect(port, new WebSocketClientOptions());

        assertThat(echo(ws, "hello")).isEqualTo("hello");
        Channel channel = channels.peek();
        assertThat(channel.pipeline().toMap().keySet()).containsExactly(WebSocketTakeover.HANDLER);
        assertThat(handlers(channel)).noneMatch(handler -> handler.getClass().getName().startsWith("io.vertx"));
    }

    @Test
    void vertxsHttpConnectionAndRequestAreGarbageOnceTheUpgradeIsDone() throws Exception {
        int port = listen(new HttpServerOptions());
        WebSocket ws = connect(port, new WebSocketClientOptions());
        assertThat(echo(ws, "alive")).isEqualTo("alive");

        await().atMost(WAIT).until(() -> {
            System.gc();
            return vertxObjects.stream().allMatch(reference -> reference.get() == null);
        });
        assertThat(echo(ws, "still alive")).isEqualTo("still alive");
    }

    @Test
    void connectionsAreSpreadOverTheEventLoops() throws Exception {
        int port = listen(new HttpServerOptions());
        for (int i = 0; i < 8; i++) {
            assertThat(echo(connect(port, new WebSocketClientOptions()), "n" + i)).isEqualTo("n" + i);
        }

        Set<EventLoop> loops = new HashSet<>();
        channels.forEach(channel -> loops.add(channel.eventLoop()));
        assertThat(loops).as("the loops of 8 agents accepted by one server on one loop").hasSizeGreaterThan(1);
    }

    @Test
    void aTlsConnectionKeepsItsSslHandlerAndIsServed() throws Exception {
        SelfSignedCertificate certificate = SelfSignedCertificate.create("localhost");
        int port = listen(new HttpServerOptions().setSsl(true).setKeyCertOptions(certificate.keyCertOptions()));
        WebSocket ws = connect(port, new WebSocketClientOptions().setSsl(true).setTrustAll(true).setVerifyHost(false));

        assertThat(echo(ws, "over tls")).isEqualTo("over tls");
        assertThat(handlers(channels.peek()).getFirst()).isInstanceOf(SslHandler.class);
        assertThat(handlers(channels.peek())).hasSize(2);
    }

    // ------------------------------------------------------------ fixtures

    /** A server that takes every upgrade over like the gateway does, with an echoing handler. */
    private int listen(HttpServerOptions options) throws Exception {
        HttpServer server = vertx.createHttpServer(HttpLimits.apply(options))
                .connectionHandler(HttpLimits::guard)
                .requestHandler(request -> {
                    String accept = WebSocketTakeover.acceptKey(request);
                    vertxObjects.add(new WeakReference<>(request));
                    vertxObjects.add(new WeakReference<>(request.connection()));
                    channels.add(channelOf(request.connection()));
                    WebSocketTakeover.takeOver(request, accept, new Echo());
                });
        return server.listen(0, "127.0.0.1").await(10, TimeUnit.SECONDS).actualPort();
    }

    private static Channel channelOf(Object connection) {
        return ((io.vertx.core.net.impl.ConnectionBase) connection).channel();
    }

    private WebSocket connect(int port, WebSocketClientOptions options) throws Exception {
        WebSocketClient client = vertx.createWebSocketClient(options);
        return client.connect(new WebSocketConnectOptions().setHost("127.0.0.1").setPort(port).setURI("/"))
                .await(WAIT.toMillis(), TimeUnit.MILLISECONDS);
    }

    private static String echo(WebSocket ws, String text) throws Exception {
        CompletableFuture<String> reply = new CompletableFuture<>();
        ws.binaryMessageHandler(message -> reply.complete(message.toString()));
        ws.writeBinaryMessage(Buffer.buffer(text));
        return reply.get(WAIT.toMillis(), TimeUnit.MILLISECONDS);
    }

    private static List<ChannelHandler> handlers(Channel channel) {
        return channel.pipeline().toMap().values().stream().toList();
    }

    /** Sends every binary frame back, written whole as the agent's handler writes them. */
    /** Echoes binary frames, reading them as the agent's handler does. */
    private static final class Echo extends ChannelInboundHandlerAdapter {

        private final FrameReader frames = new FrameReader(1 << 20);

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) throws Exception {
            if (!(msg instanceof ByteBuf bytes)) {
                ReferenceCountUtil.release(msg);
                return;
            }
            frames.add(ctx.alloc(), bytes);
            for (WebSocketFrame frame = frames.next(); frame != null; frame = frames.next()) {
                if (frame instanceof BinaryWebSocketFrame) {
                    ByteBuf content = frame.content();
                    ctx.writeAndFlush(ServerFrames.binary(ctx.alloc(), content.readableBytes()).writeBytes(content));
                }
                frame.release();
            }
        }
    }
}
