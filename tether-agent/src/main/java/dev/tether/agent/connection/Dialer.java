package dev.tether.agent.connection;

import dev.tether.protocol.Limits;
import java.net.ConnectException;
import java.net.URI;
import java.net.UnknownHostException;
import java.net.http.HttpClient;
import java.net.http.HttpTimeoutException;
import java.net.http.WebSocket;
import java.net.http.WebSocketHandshakeException;
import java.nio.channels.UnresolvedAddressException;
import java.time.Duration;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import javax.net.ssl.SSLException;

/**
 * Opens the WebSocket to a server's {@code /v1/agents/connect} with the agent key as a
 * bearer token. Failures become a {@link SessionEnd} whose reason is safe to log:
 * the key is only ever in the request header, never in a message.
 *
 * <p>Thread safe; one dial at a time in practice (the connection loop's).
 */
final class Dialer {

    private final HttpClient client;
    private final String authorization;
    private final String userAgent;
    /** The dial in progress, so {@link #cancel()} can end it; null when none. */
    private volatile CompletableFuture<WebSocket> dialing;

    Dialer(HttpClient client, String key, String agentVersion) {
        this.client = client;
        this.authorization = "Bearer " + key;
        this.userAgent = "tether-agent/" + agentVersion;
    }

    /**
     * Dials {@code uri} (a server's {@code /v1/agents/connect}) and completes the upgrade, within
     * {@link Limits#HANDSHAKE_TIMEOUT}.
     *
     * @throws DialFailure with why, when no WebSocket was opened
     */
    WebSocket dial(URI uri, WebSocket.Listener listener) throws DialFailure {
        CompletableFuture<WebSocket> future = client.newWebSocketBuilder()
                .header("Authorization", authorization)
                .header("User-Agent", userAgent)
                .connectTimeout(Limits.HANDSHAKE_TIMEOUT)
                .buildAsync(uri, listener);
        dialing = future;
        try {
            return future.get(Limits.HANDSHAKE_TIMEOUT.toMillis() + 1_000, TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            throw new DialFailure(describe(e.getCause()));
        } catch (TimeoutException e) {
            future.cancel(true);
            throw new DialFailure(new SessionEnd.Failed("no answer to the upgrade within "
                    + Limits.HANDSHAKE_TIMEOUT.toSeconds() + " s"));
        } catch (CancellationException e) {
            throw new DialFailure(new SessionEnd.Stopped());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            future.cancel(true);
            throw new DialFailure(new SessionEnd.Stopped());
        } finally {
            dialing = null;
        }
    }

    /**
     * Stops waiting for a dial in progress (the agent is stopping). The upgrade
     * itself is abandoned when the HTTP client shuts down.
     */
    void cancel() {
        CompletableFuture<WebSocket> future = dialing;
        if (future != null) {
            future.cancel(true);
        }
    }

    private SessionEnd describe(Throwable error) {
        if (error instanceof WebSocketHandshakeException e && e.getResponse() != null) {
            return new SessionEnd.Rejected(e.getResponse().statusCode(), retryAfter(e.getResponse().headers()));
        }
        return new SessionEnd.Failed(reason(error));
    }

    /** The Retry-After header in seconds (the only form Tether's server sends), or null. */
    static Duration retryAfter(java.net.http.HttpHeaders headers) {
        return headers.firstValue("Retry-After").map(value -> {
            try {
                long seconds = Long.parseLong(value.trim());
                return seconds < 0 ? null : Duration.ofSeconds(Math.min(seconds, 3600));
            } catch (NumberFormatException e) {
                return null;
            }
        }).orElse(null);
    }

    /** A short, key-free description of a dial failure. */
    static String reason(Throwable error) {
        // A refused connection arrives as a ConnectException caused by a ClosedChannelException: the cause
        // would read "ClosedChannelException" where "cannot connect" says what happened.
        for (Throwable e = error; e != null && e.getCause() != e; e = e.getCause()) {
            if (e instanceof ConnectException) {
                return "cannot connect" + suffix(e);
            }
        }
        Throwable root = error;
        while (root.getCause() != null && root.getCause() != root) {
            if (root instanceof SSLException) {
                break;
            }
            root = root.getCause();
        }
        if (root instanceof ConnectException) {
            return "cannot connect" + suffix(root);
        }
        if (root instanceof UnknownHostException || root instanceof UnresolvedAddressException) {
            return "cannot resolve the server's host name" + suffix(root);
        }
        if (root instanceof HttpTimeoutException) {
            return "timed out" + suffix(root);
        }
        if (root instanceof SSLException) {
            return "TLS handshake failed" + suffix(root) + " (is the server's certificate signed by a CA this agent "
                    + "trusts? For a private CA pass its certificate with --ca-file)";
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
