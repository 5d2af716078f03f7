package dev.tether.cli.e2e;

import static org.awaitility.Awaitility.await;

import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A scripted terminal client of {@code /api/v1/agents/{id}/shell}, as the CLI or
 * a browser would be. It keeps the output's byte count and its last 64 KiB, the
 * control messages, and can read slowly: in manual mode it asks the JDK client
 * for the next message only when the test calls {@link #read}, so the socket
 * backs up as behind a slow browser.
 */
final class TerminalClient implements WebSocket.Listener {

    private static final int TAIL_BYTES = 64 * 1024;

    private final CompletableFuture<Integer> closed = new CompletableFuture<>();
    private final List<JsonObject> controls = new CopyOnWriteArrayList<>();
    private final AtomicLong outputBytes = new AtomicLong();
    private final StringBuilder text = new StringBuilder();
    /** Guarded by itself. */
    private final StringBuilder tail = new StringBuilder();
    private volatile boolean manual;
    private volatile WebSocket socket;

    static TerminalClient open(URI server, String token, String agentId, String query) {
        TerminalClient client = new TerminalClient();
        client.socket = HttpClient.newHttpClient().newWebSocketBuilder()
                .header("Authorization", "Bearer " + token)
                .buildAsync(URI.create("ws://" + server.getAuthority() + "/api/v1/agents/" + agentId + "/shell?"
                        + query), client)
                .join();
        return client;
    }

    @Override
    public void onOpen(WebSocket webSocket) {
        webSocket.request(1);
    }

    @Override
    public CompletionStage<?> onBinary(WebSocket webSocket, ByteBuffer data, boolean last) {
        outputBytes.addAndGet(data.remaining());
        String chunk = StandardCharsets.UTF_8.decode(data).toString();
        synchronized (tail) {
            tail.append(chunk);
            if (tail.length() > 2 * TAIL_BYTES) {
                tail.delete(0, tail.length() - TAIL_BYTES);
            }
        }
        if (!manual) {
            webSocket.request(1);
        }
        return null;
    }

    @Override
    public CompletionStage<?> onText(WebSocket webSocket, CharSequence part, boolean last) {
        text.append(part);
        if (last) {
            controls.add(new JsonObject(text.toString()));
            text.setLength(0);
        }
        webSocket.request(1);
        return null;
    }

    @Override
    public CompletionStage<?> onClose(WebSocket webSocket, int statusCode, String reason) {
        closed.complete(statusCode);
        return null;
    }

    @Override
    public void onError(WebSocket webSocket, Throwable error) {
        closed.complete(-1);
    }

    /** Manual mode: messages are read only by {@link #read}. */
    void readSlowly(boolean on) {
        manual = on;
        if (!on) {
            socket.request(1);
        }
    }

    /** In manual mode, lets {@code messages} more messages in. */
    void read(int messages) {
        socket.request(messages);
    }

    void type(String keys) {
        socket.sendBinary(ByteBuffer.wrap(keys.getBytes(StandardCharsets.UTF_8)), true).join();
    }

    void resize(int rows, int cols) {
        socket.sendText(new JsonObject().put("type", "resize").put("rows", rows).put("cols", cols).encode(), true)
                .join();
    }

    /** Drops the connection without a close handshake, as a crashed browser would. */
    void drop() {
        socket.abort();
    }

    long outputBytes() {
        return outputBytes.get();
    }

    String tail() {
        synchronized (tail) {
            return tail.toString();
        }
    }

    void awaitOutput(String text, Duration timeout) {
        await("output '" + text + "'").atMost(timeout).pollInterval(Duration.ofMillis(10))
                .until(() -> tail().contains(text));
    }

    JsonObject awaitControl(String type, Duration timeout) {
        await("control " + type).atMost(timeout).pollInterval(Duration.ofMillis(10))
                .until(() -> control(type) != null);
        return control(type);
    }

    /** The last control message of this type, or null. */
    JsonObject control(String type) {
        JsonObject found = null;
        for (JsonObject control : controls) {
            if (type.equals(control.getString("type"))) {
                found = control;
            }
        }
        return found;
    }

    /** Every control message received so far, in order. */
    List<JsonObject> controls() {
        return List.copyOf(controls);
    }

    CompletableFuture<Integer> closed() {
        return closed;
    }
}
