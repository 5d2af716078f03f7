package dev.tether.cli.shell;

import dev.tether.cli.ops.ApiClient;
import dev.tether.cli.ops.ApiOptions;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.InputStream;
import java.net.URLEncoder;
import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code tether shell AGENT [-- COMMAND...]}: an interactive terminal on an
 * agent, through the server, over the agent's one connection. Exits with the
 * remote program's exit code (128 + the signal number when a signal killed it).
 */
@Command(name = "shell", mixinStandardHelpOptions = true,
        description = {"Open an interactive terminal on an agent (the agent must run with --enable-shell).",
                "Closing the terminal ends the session; a dropped connection keeps it for re-attach with --session."})
public final class ShellCommand implements Callable<Integer> {

    /** Ctrl-D: sent once when piped input ends, so the remote shell sees end of input. */
    private static final byte EOT = 4;
    private static final int READ_BUFFER = 8192;
    private static final Map<String, Integer> SIGNALS = Map.of("HUP", 1, "INT", 2, "QUIT", 3, "KILL", 9,
            "SEGV", 11, "PIPE", 13, "TERM", 15);

    @Mixin
    ApiOptions api;

    @Parameters(index = "0", paramLabel = "AGENT", description = "Agent id or name.")
    String agent;

    @Parameters(index = "1..*", paramLabel = "COMMAND", description = "Program and arguments to run instead of "
            + "the agent's shell (put them after --).")
    List<String> command = new ArrayList<>();

    @Option(names = "--session", paramLabel = "ID", description = "Re-attach to a session that is still running.")
    String session;

    @Option(names = "--term", paramLabel = "TERM", description = "TERM for the remote program (default: $TERM, "
            + "else xterm-256color).")
    String term;

    @Override
    public Integer call() throws Exception {
        ApiClient client = api.client();
        String agentId = client.get("/api/v1/agents/" + encode(agent)).getString("id");
        try (LocalTerminal terminal = LocalTerminal.open()) {
            ShellClient listener = new ShellClient(terminal);
            WebSocket socket = client.openWebSocket(path(agentId, terminal), listener);
            terminal.onResize((rows, cols) -> socket.sendText(new JsonObject().put("type", "resize")
                    .put("rows", rows).put("cols", cols).encode(), true));
            Thread input = Thread.ofPlatform().daemon().name("tether-shell-input")
                    .start(() -> pumpInput(terminal, socket));
            ShellClient.End end = listener.ended().get();
            input.interrupt();
            // The last output (often the prompt's final line) reaches the terminal before the status and the exit.
            listener.finishOutput();
            return exitStatus(end, terminal, listener.sessionId());
        }
    }

    private String path(String agentId, LocalTerminal terminal) {
        StringBuilder path = new StringBuilder("/api/v1/agents/").append(encode(agentId)).append("/shell?rows=")
                .append(terminal.rows()).append("&cols=").append(terminal.cols())
                .append("&term=").append(encode(term()));
        for (String arg : command) {
            path.append("&command=").append(encode(arg));
        }
        if (session != null) {
            path.append("&session=").append(encode(session));
        }
        return path.toString();
    }

    private String term() {
        if (term != null) {
            return term;
        }
        String local = System.getenv("TERM");
        return local == null || local.isBlank() || local.startsWith("dumb") ? "xterm-256color" : local;
    }

    /** Copies keystrokes (or piped input) to the session until it ends. */
    private static void pumpInput(LocalTerminal terminal, WebSocket socket) {
        InputStream in = terminal.input();
        byte[] buffer = new byte[READ_BUFFER];
        try {
            int read;
            while ((read = in.read(buffer)) >= 0 && !Thread.currentThread().isInterrupted()) {
                if (read > 0) {
                    socket.sendBinary(ByteBuffer.wrap(buffer, 0, read), true).get();
                }
            }
            if (!terminal.interactive()) {
                socket.sendBinary(ByteBuffer.wrap(new byte[] {EOT}), true).get();
            }
        } catch (IOException | ExecutionException e) {
            // The session ended or the connection dropped: the listener reports it.
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private int exitStatus(ShellClient.End end, LocalTerminal terminal, String sessionId) {
        if (end.exitCode() != null) {
            if (end.signal() != null) {
                terminal.notice("the remote program was killed by " + end.signal());
                String name = end.signal().startsWith("SIG") ? end.signal().substring(3) : end.signal();
                return 128 + SIGNALS.getOrDefault(name, 0);
            }
            return end.exitCode();
        }
        if (end.error() == null) {
            terminal.notice(sessionId == null ? "the connection closed before the shell started"
                    : "the connection closed (" + end.closeCode() + " " + (end.closeReason() == null ? ""
                            : end.closeReason()) + "); re-attach with: tether shell " + agent + " --session "
                            + sessionId);
        }
        return 1;
    }

    private static String encode(String text) {
        return URLEncoder.encode(text, StandardCharsets.UTF_8);
    }
}
