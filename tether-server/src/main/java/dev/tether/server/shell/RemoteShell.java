package dev.tether.server.shell;

import dev.tether.server.cluster.NodeAuth;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.ServerWebSocket;
import io.vertx.core.http.WebSocket;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A terminal whose agent is held by another node: the client's socket here, piped verbatim (the
 * {@link ClientFrames} protocol) to a node link to the holder, where the session itself is relayed.
 *
 * <p><b>Flow control</b> is end to end: when the client's write queue is full the link is paused until it
 * drains, so the holder's relay sees its writes complete late and grants the agent no more credit; input the
 * other way likewise. Nothing here buffers more than one message each way.
 *
 * <p><b>Failover</b>: the output bytes forwarded are counted from the session's {@code ready}
 * ({@code output_offset}). When the link drops without a close handshake (the holder died), the client gets
 * {@code status: disconnected}, input is paused, and every {@link #POLL} until {@link #DEADLINE} the live node
 * holding the agent is looked up and a link opened there with {@code session=} and {@code offset=} the next
 * unseen byte; its {@code ready} becomes {@code status: reconnected} (and any bytes before the offset are
 * skipped). A close with a status from the holder (the session ended or was attached elsewhere) ends the
 * terminal the same way.
 *
 * <p>Not thread safe: confined to the client's event loop (the link is opened from it, so its handlers and
 * the timers run there too).
 */
final class RemoteShell {

    /** How long the agent has to be held by a live node again after its holder dropped. */
    static final Duration DEADLINE = Duration.ofSeconds(30);
    /** How often the agent's holder is looked up while it has none. */
    static final Duration POLL = Duration.ofMillis(200);
    private static final Logger LOG = LoggerFactory.getLogger(RemoteShell.class);

    private enum Phase { RUNNING, RELINKING, ENDED }

    private final RemoteShells shells;
    private final Context context;
    private final ServerWebSocket client;
    private final String agentId;
    private final ShellEndpoint.Terminal terminal;
    private final NodeAuth.Caller caller;
    /**
     * Client messages (String or Buffer) that arrived while the link was being replaced; bounded: the client
     * is paused meanwhile, so only what was already in flight lands here.
     */
    private final List<Object> pending = new ArrayList<>();

    // All confined to the client's event loop.
    private Phase phase = Phase.RUNNING;
    private WebSocket link;
    /** Set by the first ready: the session to re-attach after a failover. */
    private String session;
    /** The offset of the next output byte the client has not been sent. */
    private long offset;
    /** Output bytes a re-attached link replays that the client already has. */
    private long skip;
    private boolean ready;
    private int rows;
    private int cols;
    private long deadlineNanos;

    private RemoteShell(RemoteShells shells, Context context, ServerWebSocket client, String agentId,
            ShellEndpoint.Terminal terminal, NodeAuth.Caller caller) {
        this.shells = shells;
        this.context = context;
        this.client = client;
        this.agentId = agentId;
        this.terminal = terminal;
        this.caller = caller;
        this.rows = terminal.rows();
        this.cols = terminal.cols();
        this.session = terminal.attach() == null ? null : terminal.attach().hex();
    }

    /** The query of the first link: the client's own request, re-attaching from the start of the scrollback. */
    static String firstQuery(ShellEndpoint.Terminal terminal) {
        return query(terminal, terminal.rows(), terminal.cols(),
                terminal.attach() == null ? null : terminal.attach().hex(), 0);
    }

    /** Pipes {@code client} to the already open {@code link} (paused), on the client's event loop. */
    static void start(RemoteShells shells, ServerWebSocket client, WebSocket link, String agentId,
            ShellEndpoint.Terminal terminal, NodeAuth.Caller caller) {
        RemoteShell shell = new RemoteShell(shells, Vertx.currentContext(), client, agentId, terminal, caller);
        client.binaryMessageHandler(shell::fromClient);
        client.textMessageHandler(shell::fromClient);
        client.closeHandler(v -> shell.clientClosed());
        client.exceptionHandler(failure -> LOG.debug("relayed shell on {}: client error", agentId, failure));
        shell.bind(link);
    }

    private void bind(WebSocket next) {
        link = next;
        next.binaryMessageHandler(data -> output(next, data));
        next.textMessageHandler(text -> control(next, text));
        next.closeHandler(v -> linkClosed(next));
        next.exceptionHandler(failure -> LOG.debug("relayed shell on {}: node link error", agentId, failure));
        client.drainHandler(v -> next.resume());
        next.drainHandler(v -> client.resume());
        next.resume();
    }

    // ------------------------------------------------------------ holder to client

    private void output(WebSocket from, Buffer data) {
        if (from != link || phase == Phase.ENDED) {
            return;
        }
        long length = data.length();
        offset += length;
        if (skip >= length) {
            skip -= length;
            return;
        }
        Buffer rest = skip > 0 ? data.getBuffer((int) skip, data.length()) : data;
        skip = 0;
        client.writeBinaryMessage(rest);
        if (client.writeQueueFull()) {
            from.pause();
        }
    }

    private void control(WebSocket from, String text) {
        if (from != link || phase == Phase.ENDED) {
            return;
        }
        JsonObject json = parse(text);
        if (json != null && "ready".equals(json.getString("type"))) {
            readied(json, text);
            return;
        }
        client.writeTextMessage(text);
    }

    private void readied(JsonObject json, String text) {
        long replayFrom = json.getLong("output_offset", 0L);
        if (!ready) {
            ready = true;
            session = json.getString("session");
            offset = replayFrom;
            client.writeTextMessage(text);
            return;
        }
        if (replayFrom > offset) {
            LOG.warn("relayed shell {}: {} output bytes were no longer held by the agent", session, replayFrom - offset);
        }
        skip = Math.max(0, offset - replayFrom);
        offset = replayFrom;
        phase = Phase.RUNNING;
        client.writeTextMessage(ClientFrames.status("reconnected"));
        LOG.info("relayed shell {} on agent {} resumed at output offset {}", session, agentId, offset + skip);
        for (Object message : pending) {
            send(message);
        }
        pending.clear();
        client.resume();
    }

    private void linkClosed(WebSocket from) {
        if (from != link || phase == Phase.ENDED) {
            return;
        }
        Short status = from.closeStatusCode();
        if (status != null && status != 1006 && status != 1001 || !ready) {
            // The holder ended the session (exit, error, attached elsewhere) or refused it: so does the client.
            boolean sent = status != null && status != 1005 && status != 1006;
            end(sent ? status : 1011, from.closeReason() == null ? "the node link closed" : from.closeReason());
            return;
        }
        LOG.info("relayed shell {} on agent {}: the node link dropped ({}); looking for the agent's new node",
                session, agentId, status);
        link = null;
        phase = Phase.RELINKING;
        client.pause();
        client.writeTextMessage(ClientFrames.status("disconnected"));
        deadlineNanos = System.nanoTime() + DEADLINE.toNanos();
        relink();
    }

    private void relink() {
        if (phase != Phase.RELINKING) {
            return;
        }
        if (System.nanoTime() - deadlineNanos > 0) {
            client.writeTextMessage(ClientFrames.error("agent_lost", "the agent was not held by a live node again within "
                    + DEADLINE.toSeconds() + " s: re-attach later with session=" + session));
            end(1000, "agent_lost");
            return;
        }
        shells.holder(context, agentId).onComplete(found -> {
            if (phase != Phase.RELINKING) {
                return;
            }
            if (found.failed() || found.result().isEmpty()) {
                later();
                return;
            }
            connect(found.result().get());
        });
    }

    private void connect(URI node) {
        shells.link(node, agentId, query(terminal, rows, cols, session, offset), caller).onComplete(opened -> {
            if (opened.failed()) {
                LOG.debug("relayed shell {}: no link to {} yet: {}", session, node, opened.cause().toString());
                later();
            } else if (phase != Phase.RELINKING) {
                opened.result().close();
            } else {
                opened.result().pause();
                bind(opened.result());
            }
        });
    }

    private void later() {
        shells.vertx().setTimer(POLL.toMillis(), id -> relink());
    }

    // ------------------------------------------------------------ client to holder

    private void fromClient(Object message) {
        if (phase == Phase.ENDED) {
            return;
        }
        if (message instanceof String text) {
            JsonObject json = parse(text);
            if (json != null && "resize".equals(json.getValue("type")) && json.getValue("rows") instanceof Integer r
                    && json.getValue("cols") instanceof Integer c) {
                rows = r;
                cols = c;
            }
        }
        if (phase == Phase.RELINKING) {
            pending.add(message);
            return;
        }
        send(message);
    }

    private void send(Object message) {
        if (message instanceof String text) {
            link.writeTextMessage(text);
        } else {
            link.writeBinaryMessage((Buffer) message);
        }
        if (link.writeQueueFull()) {
            client.pause();
        }
    }

    private void clientClosed() {
        if (phase == Phase.ENDED) {
            return;
        }
        phase = Phase.ENDED;
        if (link != null) {
            // The holder's relay detaches the session, as when a local client goes away.
            link.close();
        }
    }

    private void end(int status, String reason) {
        phase = Phase.ENDED;
        if (link != null) {
            link.close();
        }
        client.close((short) status, reason);
    }

    // ------------------------------------------------------------ framing

    private static JsonObject parse(String text) {
        try {
            return new JsonObject(text);
        } catch (DecodeException | ClassCastException e) {
            return null;
        }
    }

    private static String query(ShellEndpoint.Terminal terminal, int rows, int cols, String session, long offset) {
        StringBuilder query = new StringBuilder("rows=" + rows + "&cols=" + cols + "&term=" + encode(terminal.term()));
        for (String arg : terminal.command()) {
            query.append("&command=").append(encode(arg));
        }
        if (session != null) {
            query.append("&session=").append(session).append("&offset=").append(offset);
        }
        return query.toString();
    }

    private static String encode(String value) {
        return URLEncoder.encode(value, StandardCharsets.UTF_8);
    }
}
