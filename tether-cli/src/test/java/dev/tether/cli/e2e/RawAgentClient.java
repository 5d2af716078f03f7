package dev.tether.cli.e2e;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.net.http.WebSocketHandshakeException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;

/**
 * A hand-driven WebSocket to the agent endpoint, for sending what a real agent
 * never would and observing how the server closes the connection.
 */
final class RawAgentClient implements WebSocket.Listener {

    private final CompletableFuture<Close> closed = new CompletableFuture<>();
    private WebSocket socket;

    record Close(int code, String reason) {
    }

    /** Connects with the key; returns the HTTP status when the upgrade is refused. */
    static Object connect(URI server, String key) throws InterruptedException {
        RawAgentClient client = new RawAgentClient();
        try {
            client.socket = HttpClient.newHttpClient().newWebSocketBuilder()
                    .header("Authorization", "Bearer " + key)
                    .connectTimeout(Duration.ofSeconds(5))
                    .buildAsync(URI.create("ws://" + server.getAuthority() + "/v1/agents/connect"), client)
                    .join();
            return client;
        } catch (CompletionException e) {
            if (e.getCause() instanceof WebSocketHandshakeException refused) {
                return refused.getResponse().statusCode();
            }
            throw e;
        }
    }

    void sendBinary(byte[] frame) {
        socket.sendBinary(ByteBuffer.wrap(frame), true).join();
    }

    void sendText(String text) {
        socket.sendText(text, true).join();
    }

    Close awaitClose(Duration timeout) throws Exception {
        return closed.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    @Override
    public void onOpen(WebSocket webSocket) {
        webSocket.request(Long.MAX_VALUE);
    }

    @Override
    public CompletionStage<?> onClose(WebSocket webSocket, int statusCode, String reason) {
        closed.complete(new Close(statusCode, reason));
        return null;
    }

    @Override
    public void onError(WebSocket webSocket, Throwable error) {
        closed.complete(new Close(-1, String.valueOf(error)));
    }
}
