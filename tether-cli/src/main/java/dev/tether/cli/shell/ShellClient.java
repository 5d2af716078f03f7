package dev.tether.cli.shell;

import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * The client end of the terminal WebSocket (see the server's {@code ClientFrames}):
 * binary messages are terminal output, handed to a {@link TerminalWriter} as
 * they arrive (parts of a message too: a UTF-8 sequence split between frames
 * reaches the terminal whole, as the bytes are never decoded here); text
 * messages are JSON control messages. The next message is requested only once
 * the last one is in the writer's ring, so a slow terminal slows the server,
 * which slows the agent.
 *
 * <p>Threads: callbacks run on the JDK client's threads, one at a time; the
 * writer has its own; the results are read through {@link #ended()}, after
 * {@link #finishOutput()}.
 */
final class ShellClient implements WebSocket.Listener {

    /** How the session ended for this client. */
    record End(Integer exitCode, String signal, String error, int closeCode, String closeReason) {
    }

    private final TerminalWriter out;
    private final LocalTerminal terminal;
    private final CompletableFuture<End> ended = new CompletableFuture<>();
    private final StringBuilder text = new StringBuilder();
    // Written by the listener callbacks (one at a time), read by the command thread.
    private volatile String sessionId;
    private volatile Integer exitCode;
    private volatile String signal;
    private volatile String error;
    /** Set by {@link #onOpen}; read by whichever thread finds the terminal cannot be written, to abort. */
    private volatile WebSocket socket;

    ShellClient(LocalTerminal terminal) {
        this.terminal = terminal;
        this.out = TerminalWriter.start(terminal.output(), this::cannotWrite);
    }

    /** Waits until the output received so far is on the terminal. */
    void finishOutput() throws InterruptedException {
        out.finish();
    }

    /** Drops output not yet written (the command is leaving on an error of its own). */
    void dropOutput() {
        out.close();
    }

    private void cannotWrite(IOException e) {
        ended.complete(new End(null, null, "cannot write to the terminal: " + e.getMessage(), 0, null));
        WebSocket ws = socket;
        if (ws != null) {
            ws.abort();
        }
    }

    CompletableFuture<End> ended() {
        return ended;
    }

    String sessionId() {
        return sessionId;
    }

    @Override
    public void onOpen(WebSocket webSocket) {
        socket = webSocket;
        webSocket.request(1);
    }

    @Override
    public CompletionStage<?> onBinary(WebSocket webSocket, ByteBuffer data, boolean last) {
        try {
            out.write(data);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
        webSocket.request(1);
        return null;
    }

    @Override
    public CompletionStage<?> onText(WebSocket webSocket, CharSequence part, boolean last) {
        text.append(part);
        if (last) {
            control(text.toString());
            text.setLength(0);
        }
        webSocket.request(1);
        return null;
    }

    private void control(String message) {
        JsonObject json;
        try {
            json = new JsonObject(message);
        } catch (DecodeException e) {
            return;
        }
        switch (json.getString("type", "")) {
            case "ready" -> sessionId = json.getString("session");
            case "exit" -> {
                exitCode = json.getInteger("exit_code");
                signal = json.getString("signal");
            }
            case "error" -> {
                error = json.getString("message", json.getString("code"));
                terminal.notice(error);
            }
            case "status" -> terminal.notice("disconnected".equals(json.getString("agent"))
                    ? "the agent's link dropped; waiting for it to come back..."
                    : "the agent is back");
            default -> {
                // A newer server's message: nothing to do.
            }
        }
    }

    @Override
    public CompletionStage<?> onClose(WebSocket webSocket, int statusCode, String reason) {
        ended.complete(new End(exitCode, signal, error, statusCode, reason));
        return null;
    }

    @Override
    public void onError(WebSocket webSocket, Throwable failure) {
        ended.complete(new End(exitCode, signal, error != null ? error : "connection lost: " + failure.getMessage(),
                1006, null));
    }
}
