package dev.tether.server.testing;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.UpgradeRejectedException;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketClientOptions;
import io.vertx.core.http.WebSocketConnectOptions;
import io.vertx.core.json.JsonObject;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * A terminal client of {@code /api/v1/agents/{id}/shell}, as a browser or the
 * CLI would be: records output bytes and control messages, sends input,
 * resizes, and can stop reading to play a slow client. Thread safe.
 */
public final class TerminalClient implements AutoCloseable {

    private static final Vertx VERTX = Vertx.vertx();
    private static final WebSocketClient CLIENT = VERTX.createWebSocketClient(new WebSocketClientOptions()
            .setMaxFrameSize(1024 * 1024).setMaxMessageSize(1024 * 1024).setClosingTimeout(2));
    private static final Duration WAIT = Duration.ofSeconds(10);

    private final WebSocket ws;
    private final ByteArrayOutputStream output = new ByteArrayOutputStream();
    private final List<JsonObject> controls = new CopyOnWriteArrayList<>();
    private volatile Integer closeCode;

    private TerminalClient(WebSocket ws) {
        this.ws = ws;
        ws.binaryMessageHandler(data -> {
            synchronized (output) {
                output.writeBytes(data.getBytes());
            }
        });
        ws.textMessageHandler(text -> controls.add(new JsonObject(text)));
        ws.closeHandler(v -> closeCode = ws.closeStatusCode() == null ? 1006 : (int) ws.closeStatusCode());
    }

    /** Opens {@code /api/v1/agents/{agent}/shell?query} with the token; fails the test when refused. */
    public static TerminalClient open(int port, String token, String agent, String query) {
        try {
            return new TerminalClient(upgrade(port, token, agent, query).await(WAIT.toMillis(), TimeUnit.MILLISECONDS));
        } catch (TimeoutException e) {
            throw new AssertionError("no answer to the upgrade", e);
        }
    }

    /** The HTTP status and body the upgrade was refused with. */
    public static Api.Response rejection(int port, String token, String agent, String query) {
        try {
            upgrade(port, token, agent, query).await(WAIT.toMillis(), TimeUnit.MILLISECONDS).close();
            throw new AssertionError("the upgrade was accepted");
        } catch (UpgradeRejectedException e) {
            return new Api.Response(e.getStatus(), e.getBody() == null ? "" : e.getBody().toString(),
                    "application/json");
        } catch (TimeoutException e) {
            throw new AssertionError("no answer to the upgrade", e);
        }
    }

    private static Future<WebSocket> upgrade(int port, String token, String agent, String query) {
        WebSocketConnectOptions options = new WebSocketConnectOptions().setHost("127.0.0.1").setPort(port)
                .setURI("/api/v1/agents/" + agent + "/shell" + (query.isEmpty() ? "" : "?" + query));
        if (token != null) {
            options.addHeader("Authorization", "Bearer " + token);
        }
        return CLIENT.connect(options);
    }

    public void type(String text) {
        ws.writeBinaryMessage(Buffer.buffer(text.getBytes(StandardCharsets.UTF_8)));
    }

    public void control(String json) {
        ws.writeTextMessage(json);
    }

    public void resize(int rows, int cols) {
        control(new JsonObject().put("type", "resize").put("rows", rows).put("cols", cols).encode());
    }

    /** Stops reading: the server's writes back up once the socket buffers are full. */
    public void pause() {
        ws.pause();
    }

    public void resume() {
        ws.resume();
    }

    public String output() {
        synchronized (output) {
            return output.toString(StandardCharsets.UTF_8);
        }
    }

    public int outputBytes() {
        synchronized (output) {
            return output.size();
        }
    }

    public List<JsonObject> controls() {
        return List.copyOf(controls);
    }

    /** The first control message of this type, or null. */
    public JsonObject first(String type) {
        return controls.stream().filter(c -> type.equals(c.getString("type"))).findFirst().orElse(null);
    }

    public boolean hasControl(String type) {
        return first(type) != null;
    }

    public Integer closeCode() {
        return closeCode;
    }

    @Override
    public void close() {
        if (closeCode == null) {
            ws.close();
        }
    }
}
