package dev.tether.bench.terminal;

import dev.tether.bench.report.Json;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.net.http.WebSocketHandshakeException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * A terminal through Tether: the server's terminal WebSocket
 * {@code /api/v1/agents/{id}/shell} (see {@code docs/shell.md}), with the JDK's
 * WebSocket client. Binary messages are terminal bytes both ways; text
 * messages are JSON control messages, of which this client reads {@code ready},
 * {@code exit} and {@code error}. Like the CLI's client, it asks for the next
 * message only once the last one is counted.
 *
 * <p>Thread safe: the JDK calls the listener one callback at a time; the
 * fields it sets are volatile or futures.
 */
public final class TetherTerminal implements Terminal {

    private static final Duration SEND_TIMEOUT = Duration.ofSeconds(30);

    private final TerminalOutput output = new TerminalOutput();
    private final CompletableFuture<String> ready = new CompletableFuture<>();
    private final CompletableFuture<Integer> closed = new CompletableFuture<>();
    private volatile WebSocket socket;
    /** The last {@code error} control message, for failures; set by the listener. */
    private volatile String error;

    private TetherTerminal() {
    }

    /**
     * Opens a shell on an agent and waits for the server's {@code ready}.
     *
     * @param base the server, {@code http://127.0.0.1:PORT}
     * @param query extra query parameters ({@code rows=24&cols=80}), without the leading {@code ?}
     */
    public static TetherTerminal open(HttpClient http, URI base, String token, String agentId, String query,
            Duration timeout) throws IOException, InterruptedException, TimeoutException {
        URI uri = URI.create("ws://" + base.getAuthority() + "/api/v1/agents/" + agentId + "/shell?" + query);
        TetherTerminal terminal = new TetherTerminal();
        try {
            terminal.socket = http.newWebSocketBuilder().header("Authorization", "Bearer " + token)
                    .connectTimeout(timeout).buildAsync(uri, terminal.new Listener())
                    .get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            terminal.ready.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            terminal.close();
            throw new IOException("opening a Tether shell failed: " + describe(e.getCause()), e.getCause());
        } catch (TimeoutException | InterruptedException e) {
            terminal.close();
            throw e;
        }
        return terminal;
    }

    private static String describe(Throwable failure) {
        if (failure instanceof WebSocketHandshakeException refused) {
            return "HTTP " + refused.getResponse().statusCode() + " " + refused.getResponse().body();
        }
        return String.valueOf(failure);
    }

    /** The session id from {@code ready}. */
    public String sessionId() {
        return ready.getNow(null);
    }

    @Override
    public TerminalOutput output() {
        return output;
    }

    @Override
    public void send(byte[] bytes) throws IOException, InterruptedException {
        try {
            socket.sendBinary(ByteBuffer.wrap(bytes), true).get(SEND_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException | TimeoutException e) {
            throw new IOException("sending to the Tether shell failed: " + e, e);
        }
    }

    @Override
    public boolean awaitEnd(Duration timeout) throws InterruptedException {
        try {
            closed.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            return true;
        } catch (TimeoutException e) {
            return false;
        } catch (ExecutionException e) {
            return true;
        }
    }

    /** Asks the server to end the session (its processes are killed), then closes the socket. */
    @Override
    public void close() {
        WebSocket ws = socket;
        if (ws == null || closed.isDone()) {
            return;
        }
        try {
            ws.sendText("{\"type\":\"close\"}", true).get(5, TimeUnit.SECONDS);
            closed.get(5, TimeUnit.SECONDS);
        } catch (ExecutionException | TimeoutException e) {
            ws.abort();
        } catch (InterruptedException e) {
            ws.abort();
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public String toString() {
        return "Tether session " + sessionId();
    }

    /** The JDK client's callbacks, one at a time. */
    private final class Listener implements WebSocket.Listener {

        private final StringBuilder text = new StringBuilder();
        private byte[] chunk = new byte[64 * 1024];

        @Override
        public void onOpen(WebSocket webSocket) {
            webSocket.request(1);
        }

        @Override
        public CompletionStage<?> onBinary(WebSocket webSocket, ByteBuffer data, boolean last) {
            int length = data.remaining();
            if (chunk.length < length) {
                chunk = new byte[length];
            }
            data.get(chunk, 0, length);
            output.accept(chunk, 0, length);
            webSocket.request(1);
            return null;
        }

        @Override
        public CompletionStage<?> onText(WebSocket webSocket, CharSequence part, boolean last) {
            text.append(part);
            if (last) {
                control(Json.parseObject(text.toString()));
                text.setLength(0);
            }
            webSocket.request(1);
            return null;
        }

        private void control(Map<String, Object> message) {
            switch (String.valueOf(message.get("type"))) {
                case "ready" -> ready.complete(String.valueOf(message.get("session")));
                case "error" -> {
                    error = message.get("code") + ": " + message.get("message");
                    ready.completeExceptionally(new IOException(error));
                }
                default -> {
                    // exit and status need no action: the socket closes after exit.
                }
            }
        }

        @Override
        public CompletionStage<?> onClose(WebSocket webSocket, int statusCode, String reason) {
            ready.completeExceptionally(new IOException("closed " + statusCode + " " + reason
                    + (error == null ? "" : " after " + error)));
            output.end("closed " + statusCode + (reason == null || reason.isEmpty() ? "" : " " + reason));
            closed.complete(statusCode);
            return null;
        }

        @Override
        public void onError(WebSocket webSocket, Throwable failure) {
            ready.completeExceptionally(failure);
            output.end("failed: " + failure);
            closed.complete(1006);
        }
    }
}
