package dev.tether.agent.connection.websocket;

import dev.tether.agent.testing.OwnThread;
import dev.tether.agent.testing.WebSocketFrames;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import javax.net.ssl.SSLContext;

/**
 * A server on loopback that says whatever a test scripts, byte for byte: a valid or broken upgrade
 * response, frames no server may send, a stream that stops. A hostile-peer fake: it checks nothing and
 * answers nothing unless told. One connection at a time, accepted on {@link #accept()}.
 */
final class HostilePeer implements AutoCloseable {

    static final Map<String, String> HEADERS = Map.of("Authorization", "Bearer tak_test", "User-Agent",
            "tether-agent/test");

    private final ServerSocket listener;
    private final List<Socket> accepted = new CopyOnWriteArrayList<>();

    HostilePeer() throws IOException {
        this(new ServerSocket(0, 50, InetAddress.getLoopbackAddress()));
    }

    HostilePeer(ServerSocket listener) {
        this.listener = listener;
    }

    URI uri(String scheme, String host) {
        return URI.create(scheme + "://" + host + ":" + listener.getLocalPort() + "/v1/agents/connect");
    }

    URI uri(String scheme) {
        return uri(scheme, "127.0.0.1");
    }

    URI uri() {
        return uri("ws");
    }

    /** A client of this peer: frames up to {@code maxMessageBytes}, the given handshake and write timeouts. */
    static WebSocketClient client(Supplier<SSLContext> tls, Duration handshakeTimeout, Duration writeTimeout,
            int maxMessageBytes) {
        return new WebSocketClient(tls, HEADERS, handshakeTimeout, writeTimeout, maxMessageBytes);
    }

    static WebSocketClient client(int maxMessageBytes) {
        return client(() -> {
            throw new AssertionError("no TLS here");
        }, Duration.ofSeconds(5), Duration.ofSeconds(5), maxMessageBytes);
    }

    /** The next connection, accepted in the background while the test dials. */
    CompletableFuture<Socket> accept() {
        return OwnThread.call(() -> {
            Socket socket = listener.accept();
            accepted.add(socket);
            return socket;
        });
    }

    /** What {@code dial} threw, or null; run on a thread of its own. */
    static CompletableFuture<Throwable> failure(Callable<?> dial) {
        return OwnThread.call(() -> {
            try {
                dial.call();
                return null;
            } catch (Throwable e) {
                return e;
            }
        });
    }

    /** Reads the upgrade request and answers it with a valid 101; returns the request. */
    static WebSocketFrames.Request upgrade(Socket socket) throws IOException {
        WebSocketFrames.Request request = WebSocketFrames.readRequest(socket.getInputStream());
        WebSocketFrames.writeSwitchingProtocols(socket.getOutputStream(), request.headers().get("sec-websocket-key"));
        return request;
    }

    /** Connects {@code client} and completes the upgrade on the peer's side; returns both ends. */
    Pair open(WebSocketClient client) throws Exception {
        CompletableFuture<Socket> peer = OwnThread.call(() -> {
            Socket socket = listener.accept();
            accepted.add(socket);
            upgrade(socket);
            return socket;
        });
        WebSocket socket = client.connect(uri());
        return new Pair(socket, peer.get(5, TimeUnit.SECONDS));
    }

    record Pair(WebSocket client, Socket peer) {
        InputStream in() throws IOException {
            return peer.getInputStream();
        }

        OutputStream out() throws IOException {
            return peer.getOutputStream();
        }

        /** Writes raw bytes: whatever a test wants the server to have sent. */
        void send(byte[]... parts) throws IOException {
            for (byte[] part : parts) {
                peer.getOutputStream().write(part);
            }
            peer.getOutputStream().flush();
        }
    }

    /** An unmasked frame header with the given first byte, for a payload of {@code length} (any encoding). */
    static byte[] header(int first, long length) {
        if (length >= 0 && length < 126) {
            return new byte[] {(byte) first, (byte) length};
        }
        if (length >= 0 && length <= 0xFFFF) {
            return new byte[] {(byte) first, 126, (byte) (length >>> 8), (byte) length};
        }
        return ByteBuffer.allocate(10).put((byte) first).put((byte) 127).putLong(length).array();
    }

    /** A whole unmasked frame. */
    static byte[] frame(int first, byte[] payload) {
        byte[] header = header(first, payload.length);
        return ByteBuffer.allocate(header.length + payload.length).put(header).put(payload).array();
    }

    @Override
    public void close() throws IOException {
        listener.close();
        for (Socket socket : accepted) {
            socket.close();
        }
    }
}
