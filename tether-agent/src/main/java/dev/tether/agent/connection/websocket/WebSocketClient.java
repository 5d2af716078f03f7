package dev.tether.agent.connection.websocket;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.net.URI;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;

/**
 * Opens {@link WebSocket}s over blocking sockets: {@code ws://} over TCP, {@code wss://} over TLS with the
 * given trust, the server's host name checked against its certificate ({@code HTTPS} endpoint
 * identification) and sent as SNI. {@code TCP_NODELAY} is on: every frame is a whole message, and a
 * keystroke must not wait for an acknowledgement. The TCP connect, the TLS handshake and the upgrade
 * together take at most the handshake timeout.
 *
 * <p>The TLS context is asked for on the first {@code wss://} dial, so an agent of a {@code ws://} server
 * never loads the JDK's TLS classes.
 *
 * <p>Thread safe: {@link #shutdown()} may be called from any thread and ends a dial in progress.
 */
public final class WebSocketClient {

    private final Supplier<SSLContext> tls;
    private final Map<String, String> headers;
    private final Duration handshakeTimeout;
    private final Duration writeTimeout;
    private final int maxMessageBytes;
    private final SecureRandom random = new SecureRandom();
    /** The socket of the dial in progress, so {@link #shutdown()} can close it; null when none. */
    private volatile Socket dialing;
    private volatile boolean shutDown;

    /**
     * @param tls the trust for {@code wss://}, asked for once, on the first such dial
     * @param headers extra upgrade request headers, in order ({@code Authorization}, {@code User-Agent})
     * @param handshakeTimeout from the TCP connect to the end of the upgrade response
     * @param writeTimeout a send blocked longer is reported by {@link WebSocket#writeStalled()}
     * @param maxMessageBytes the largest message accepted; a larger one is refused with 1009 before it is read
     */
    public WebSocketClient(Supplier<SSLContext> tls, Map<String, String> headers, Duration handshakeTimeout,
            Duration writeTimeout, int maxMessageBytes) {
        this.tls = memoized(Objects.requireNonNull(tls, "tls"));
        this.headers = new LinkedHashMap<>(headers);
        this.handshakeTimeout = handshakeTimeout;
        this.writeTimeout = writeTimeout;
        this.maxMessageBytes = maxMessageBytes;
    }

    /**
     * Connects to {@code uri} ({@code ws://} or {@code wss://}) and completes the upgrade.
     *
     * @throws UpgradeRefused when the server answered with another HTTP status
     * @throws HandshakeException when its answer is not a valid WebSocket handshake
     * @throws IOException when it cannot be reached, TLS fails, the handshake timeout passed, or the client was
     *     shut down
     */
    public WebSocket connect(URI uri) throws IOException {
        boolean secure = secure(uri);
        String host = host(uri);
        int port = uri.getPort() >= 0 ? uri.getPort() : secure ? 443 : 80;
        long deadline = System.nanoTime() + handshakeTimeout.toNanos();
        Socket tcp = new Socket();
        dialing = tcp;
        try {
            if (shutDown) {
                throw new SocketException("the agent is stopping");
            }
            tcp.setTcpNoDelay(true);
            tcp.connect(new InetSocketAddress(host, port), (int) handshakeTimeout.toMillis());
            Socket socket = secure ? tls(tcp, host, port, deadline) : tcp;
            InputStream in = new BufferedInputStream(socket.getInputStream(), 16 * 1024);
            OutputStream out = socket.getOutputStream();
            Upgrade.perform(socket, in, out, uri, headers, random, deadline);
            return new RealWebSocket(tcp, socket, in, out, maxMessageBytes, writeTimeout, random);
        } catch (IOException | RuntimeException | Error e) {
            tcp.close();
            if (shutDown) {
                throw new SocketException("the agent is stopping");
            }
            throw e;
        } finally {
            dialing = null;
        }
    }

    /** Ends the dial in progress, if any, and refuses every later one. */
    public void shutdown() {
        shutDown = true;
        Socket socket = dialing;
        if (socket != null) {
            try {
                socket.close();
            } catch (IOException e) {
                // Closed either way.
            }
        }
    }

    private SSLSocket tls(Socket tcp, String host, int port, long deadline) throws IOException {
        SSLSocket socket = (SSLSocket) tls.get().getSocketFactory().createSocket(tcp, host, port, true);
        SSLParameters parameters = socket.getSSLParameters();
        parameters.setEndpointIdentificationAlgorithm("HTTPS");
        if (!ipLiteral(host)) {
            parameters.setServerNames(List.of(new SNIHostName(host)));
        }
        socket.setSSLParameters(parameters);
        socket.setSoTimeout((int) Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime())));
        socket.startHandshake();
        return socket;
    }

    private static boolean secure(URI uri) {
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
        return switch (scheme) {
            case "wss", "https" -> true;
            case "ws", "http" -> false;
            default -> throw new IllegalArgumentException("a WebSocket URL must be ws:// or wss://, was " + uri);
        };
    }

    private static String host(URI uri) {
        String host = uri.getHost();
        if (host == null) {
            throw new IllegalArgumentException("a WebSocket URL needs a host, was " + uri);
        }
        return host.startsWith("[") ? host.substring(1, host.length() - 1) : host;
    }

    private static boolean ipLiteral(String host) {
        return host.indexOf(':') >= 0 || host.chars().allMatch(c -> c == '.' || c >= '0' && c <= '9');
    }

    private static <T> Supplier<T> memoized(Supplier<T> supplier) {
        return new Supplier<>() {
            private T value;

            @Override
            public synchronized T get() {
                if (value == null) {
                    value = supplier.get();
                }
                return value;
            }
        };
    }
}
