package dev.tether.agent.connection;

import dev.tether.agent.connection.websocket.HandshakeException;
import dev.tether.agent.connection.websocket.UpgradeRefused;
import dev.tether.agent.connection.websocket.WebSocket;
import dev.tether.agent.connection.websocket.WebSocketClient;
import dev.tether.protocol.Limits;
import java.io.IOException;
import java.net.ConnectException;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Supplier;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLException;

/**
 * Opens the WebSocket to a server's {@code /v1/agents/connect} with the agent key as a
 * bearer token. Failures become a {@link SessionEnd} whose reason is safe to log:
 * the key is only ever in the request header, never in a message.
 *
 * <p>Thread safe; one dial at a time in practice (the connection loop's).
 */
final class Dialer {

    private final WebSocketClient client;
    /** Set by {@link #cancel()}: a dial that fails from now on failed because the agent is stopping. */
    private volatile boolean cancelled;

    /** @param tls the trust for {@code wss://} servers, asked for on the first such dial */
    Dialer(Supplier<SSLContext> tls, String key, String agentVersion) {
        Map<String, String> headers = new LinkedHashMap<>();
        headers.put("Authorization", "Bearer " + key);
        headers.put("User-Agent", "tether-agent/" + agentVersion);
        this.client = new WebSocketClient(tls, headers, Limits.HANDSHAKE_TIMEOUT, Limits.WRITE_TIMEOUT,
                Limits.MAX_FRAME_BYTES);
    }

    /**
     * Dials {@code uri} (a server's {@code /v1/agents/connect}) and completes the upgrade, within
     * {@link Limits#HANDSHAKE_TIMEOUT}.
     *
     * @throws DialFailure with why, when no WebSocket was opened
     */
    WebSocket dial(URI uri) throws DialFailure {
        try {
            return client.connect(uri);
        } catch (UpgradeRefused e) {
            throw new DialFailure(new SessionEnd.Rejected(e.status(), retryAfter(e.header("retry-after"))));
        } catch (IOException | RuntimeException e) {
            if (cancelled) {
                throw new DialFailure(new SessionEnd.Stopped());
            }
            throw new DialFailure(new SessionEnd.Failed(reason(e)));
        }
    }

    /** Ends a dial in progress, and any later one: the agent is stopping. */
    void cancel() {
        cancelled = true;
        client.shutdown();
    }

    /** The Retry-After header in seconds (the only form Tether's server sends), or null. */
    static Duration retryAfter(String value) {
        if (value == null) {
            return null;
        }
        try {
            long seconds = Long.parseLong(value.trim());
            return seconds < 0 ? null : Duration.ofSeconds(Math.min(seconds, 3600));
        } catch (NumberFormatException e) {
            return null;
        }
    }

    /** A short, key-free description of a dial or connection failure. */
    static String reason(Throwable error) {
        Throwable root = error;
        while (root.getCause() != null && root.getCause() != root && !(root instanceof SSLException)) {
            root = root.getCause();
        }
        if (root instanceof ConnectException) {
            return "cannot connect" + suffix(root);
        }
        if (root instanceof UnknownHostException) {
            return "cannot resolve the server's host name" + suffix(root);
        }
        if (root instanceof SocketTimeoutException) {
            return "timed out" + suffix(root);
        }
        if (root instanceof HandshakeException) {
            return root.getMessage();
        }
        if (root instanceof SSLException) {
            return "TLS handshake failed" + suffix(root) + " (is the server's certificate signed by a CA this agent "
                    + "trusts, and issued for the host name in --server? For a private CA pass its certificate with "
                    + "--ca-file)";
        }
        return root.getClass().getSimpleName() + suffix(root);
    }

    private static String suffix(Throwable error) {
        String message = error.getMessage();
        return message == null || message.isBlank() ? "" : ": " + message;
    }

    /** No WebSocket was opened; {@link #end()} says why. */
    static final class DialFailure extends Exception {

        private static final long serialVersionUID = 1L;

        private final transient SessionEnd end;

        DialFailure(SessionEnd end) {
            super(end.toString(), null, false, false);
            this.end = end;
        }

        SessionEnd end() {
            return end;
        }
    }
}
