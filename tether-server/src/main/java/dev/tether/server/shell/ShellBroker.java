package dev.tether.server.shell;

import com.google.protobuf.ByteString;
import dev.tether.protocol.v1.Envelope;
import dev.tether.protocol.v1.ShellClose;
import dev.tether.server.ShellSettings;
import dev.tether.server.audit.AuditEntry;
import dev.tether.server.audit.AuditLog;
import dev.tether.server.hub.LiveConnection;
import dev.tether.server.metrics.ServerMetrics;
import dev.tether.server.store.DbExecutor;
import io.vertx.core.Vertx;
import io.vertx.core.http.ServerWebSocket;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Bridges terminal clients to agent shell sessions: keeps one {@link ShellRelay}
 * per live session, routes the agents' shell payloads to them, follows agents'
 * links going and coming back, ends sessions that outlive the idle timeout, and
 * records every session (its {@code shell_sessions} row, its audit entry, its
 * asciicast recording).
 *
 * <p>Sessions live in this process: a server restart ends them (the agents are
 * told to close the ones they still hold when they reconnect). In a cluster, a
 * session whose agent arrives here from another node (that node died) and whose
 * row is still open is adopted instead, for its client to re-attach here
 * (see docs/cluster.md, "Terminals across nodes").
 *
 * <p>Thread safe. Database work runs on the {@link DbExecutor}, ordered per
 * session (a session's end is written after its start).
 */
public final class ShellBroker implements AutoCloseable {

    /** Most sessions relayed for one agent at once; the agent's own cap ({@code --max-shells}) is usually lower. */
    public static final int MAX_SESSIONS_PER_AGENT = 64;
    private static final long SWEEP_PERIOD_MS = 1000;
    private static final long RETENTION_PERIOD_MS = 3600_000;
    private static final Logger LOG = LoggerFactory.getLogger(ShellBroker.class);

    private final ShellSettings settings;
    private final ShellSessionStore sessions;
    private final AuditLog audit;
    private final Recordings recordings;
    private final DbExecutor db;
    private final ServerMetrics metrics;
    private final Map<ShellId, ShellRelay> relays = new ConcurrentHashMap<>();
    /** Each session's start written to the database; its end is chained after it. */
    private final Map<ShellId, CompletableFuture<Long>> started = new ConcurrentHashMap<>();
    /** Each agent's live connection here, to adopt sessions only onto a link that is still up; guarded by itself. */
    private final Map<String, LiveConnection> links = new HashMap<>();
    private final AtomicLong buffered = new AtomicLong();
    private final AtomicLong peakBuffered = new AtomicLong();
    private volatile Vertx vertx;
    private volatile long sweepTimer = -1;
    private volatile long retentionTimer = -1;

    public ShellBroker(ShellSettings settings, ShellSessionStore sessions, AuditLog audit, Recordings recordings,
            DbExecutor db, ServerMetrics metrics) {
        this.settings = settings;
        this.sessions = sessions;
        this.audit = audit;
        this.recordings = recordings;
        this.db = db;
        this.metrics = metrics;
        metrics.gaugeShells(relays::size, buffered::get, peakBuffered::get);
    }

    /** Ends what a previous process left open, then starts the idle sweep and the recording retention. */
    public void start(Vertx on) {
        int abandoned = sessions.endAbandoned(System.currentTimeMillis());
        if (abandoned > 0) {
            LOG.info("marked {} shell session(s) of the previous run as ended (server_stopped)", abandoned);
        }
        vertx = on;
        long timeoutNanos = settings.idleTimeout().toNanos();
        sweepTimer = on.setPeriodic(SWEEP_PERIOD_MS, id -> {
            long now = System.nanoTime();
            relays.values().forEach(relay -> relay.sweep(now, timeoutNanos));
        });
        retentionTimer = on.setPeriodic(SWEEP_PERIOD_MS, RETENTION_PERIOD_MS,
                id -> db.execute(() -> recordings.deleteExpired(System.currentTimeMillis())));
    }

    /** How many sessions are relayed for the agent now. */
    public int sessionCount(String agentId) {
        int count = 0;
        for (ShellRelay relay : relays.values()) {
            if (relay.agentId().equals(agentId)) {
                count++;
            }
        }
        return count;
    }

    public Optional<ShellRelay> relay(ShellId id) {
        return Optional.ofNullable(relays.get(id));
    }

    /** Starts a new session for {@code client} on the agent's live connection. */
    public void open(ShellRequest request, ServerWebSocket client, LiveConnection agent) {
        ShellId id = ShellId.random();
        long now = System.currentTimeMillis();
        String title = request.agentName() + (request.command().isEmpty() ? "" : ": "
                + String.join(" ", request.command()));
        Recorder recorder = recordings.start(id, settings.recordInput(), settings.recordingMaxBytes(), new Recorder.Header(request.cols(),
                request.rows(), now, request.term(), request.command(), title));
        ShellSessionRecord row = new ShellSessionRecord(id.hex(), request.agentId(), request.actor(),
                request.source(), request.command(), request.term(), request.rows(), request.cols(), now, null, 0, 0,
                null, null, null, Recordings.fileName(id), false);
        started.put(id, CompletableFuture.supplyAsync(() -> {
            sessions.insert(row);
            return audit.record(new AuditEntry.New(now, request.actor(), "shell.session", request.agentId(),
                    request.source(), details(row, null, null)));
        }, db));
        ShellRelay relay = new ShellRelay(id, request, this, recorder);
        LOG.info("shell {} opened on agent {} by {} from {}", id, request.agentId(), request.actor(), request.source());
        // Published and started under the relay's lock: the agent's connection can be found live before its
        // handshake's agentConnected() ran, and that must not take a relay not started yet for one the agent
        // lost (it ended the session as agent_lost with no client bound, and the client waited forever).
        synchronized (relay) {
            relays.put(id, relay);
            relay.start(client, agent);
        }
    }

    /**
     * Attaches {@code client} to the running session {@code request.attach()} for {@code request.actor()},
     * who was checked to be its owner or an admin ({@code admin}); the attach is audited as
     * {@code shell.attach} with the actor, the owner, and {@code takeover} when they differ.
     *
     * @param resumeOffset the first output byte the client needs (0: all the scrollback the agent holds)
     */
    public void attach(ShellRequest request, ServerWebSocket client, boolean admin, long resumeOffset) {
        ShellRelay relay = relays.get(request.attach());
        if (relay == null || !relay.mayAttach(request.actor(), admin)) {
            client.writeTextMessage(ClientFrames.error("not_found", "the session has ended"));
            client.close((short) 1000, "session ended");
            return;
        }
        boolean takeover = !relay.owner().equals(request.actor());
        LOG.info("shell {} on agent {} attached by {} from {}{}", relay.id(), relay.agentId(), request.actor(),
                request.source(), takeover ? " (takeover of " + relay.owner() + "'s session)" : "");
        JsonObject details = new JsonObject().put("session", relay.id().hex()).put("owner", relay.owner())
                .put("takeover", takeover);
        db.execute(() -> audit.record(new AuditEntry.New(System.currentTimeMillis(), request.actor(), "shell.attach",
                relay.agentId(), request.source(), details)));
        relay.attach(client, resumeOffset);
    }

    /**
     * A shell payload from an agent's connection.
     *
     * @return false for shell output outside the flow control: beyond the credit the server granted, or for a
     *     session not relayed here; the connection charges it against its message rate (see
     *     {@code MessageRate}), so an agent flooding it is closed with 1008
     */
    public boolean fromAgent(LiveConnection from, Envelope envelope) {
        ShellId id = ShellId.of(sessionId(envelope));
        ShellRelay relay = id == null ? null : relays.get(id);
        if (relay != null && relay.agentId().equals(from.agentId())) {
            return relay.fromAgent(from, envelope);
        }
        boolean orphan = envelope.hasShellOutput() || envelope.hasShellReady();
        if (id != null && orphan) {
            // Output of a session nobody relays (it ended here, or the server restarted): end it there too.
            from.sendLive(terminate(id.bytes(), "no such session on the server"));
        }
        return !envelope.hasShellOutput() && !envelope.hasShellCredit();
    }

    /** The agent's connection is established; {@code alive} are the sessions its Hello says it still has. */
    public void agentConnected(LiveConnection link, List<ByteString> alive) {
        Set<ShellId> live = new HashSet<>();
        for (ByteString bytes : alive) {
            ShellId id = ShellId.of(bytes);
            if (id != null) {
                live.add(id);
            }
        }
        for (ShellRelay relay : relays.values()) {
            if (relay.agentId().equals(link.agentId())) {
                relay.agentBack(link, live.remove(relay.id()));
            }
        }
        synchronized (links) {
            links.put(link.agentId(), link);
        }
        if (!live.isEmpty()) {
            CompletableFuture.runAsync(() -> adoptOrEnd(link, live), db).exceptionally(failure -> {
                LOG.warn("cannot look up the shell sessions agent {} still has", link.agentId(), failure);
                return null;
            });
        }
    }

    /**
     * Sessions the agent has that no relay here knows: in a cluster, sessions another node relayed until the
     * agent moved here (that node died or the agent's link to it dropped). A session whose row is still open
     * for this agent is adopted, detached, for its client to re-attach here; any other is ended on the agent.
     * Blocking (reads the rows).
     */
    private void adoptOrEnd(LiveConnection link, Set<ShellId> orphans) {
        for (ShellId id : orphans) {
            ShellSessionRecord row = sessions.get(id.hex());
            boolean open = row != null && row.agentId().equals(link.agentId()) && row.endedAt() == null;
            if (!open || !adopt(link, row)) {
                link.sendLive(terminate(id.bytes(), "no such session on the server"));
            }
        }
    }

    /** @return false when the link is gone already or the session is relayed here after all */
    private boolean adopt(LiveConnection link, ShellSessionRecord row) {
        ShellId id = ShellId.parse(row.id());
        ShellRequest request = new ShellRequest(row.agentId(), row.agentId(), row.rows(), row.cols(), row.command(),
                row.term(), id, row.actor(), row.source());
        long now = System.currentTimeMillis();
        synchronized (links) {
            if (links.get(link.agentId()) != link || relays.containsKey(id)) {
                return relays.containsKey(id);
            }
            Recorder recorder = recordings.start(id, settings.recordInput(), settings.recordingMaxBytes(),
                    new Recorder.Header(row.cols(), row.rows(), now, row.term(), row.command(), "resumed: " + row.id()));
            ShellRelay relay = new ShellRelay(id, request, this, recorder);
            started.put(id, CompletableFuture.supplyAsync(() -> audit.record(new AuditEntry.New(now, row.actor(),
                    "shell.adopt", row.agentId(), row.source(), details(row, null, null))), db));
            synchronized (relay) {
                relays.put(id, relay);
                relay.adopt(link);
            }
        }
        LOG.info("shell {} on agent {} adopted: its agent moved to this node; waiting for its client", id,
                row.agentId());
        return true;
    }

    /** The agent's connection ended. */
    public void agentDisconnected(LiveConnection link) {
        synchronized (links) {
            links.remove(link.agentId(), link);
        }
        for (ShellRelay relay : relays.values()) {
            if (relay.agentId().equals(link.agentId())) {
                relay.agentGone(link);
            }
        }
    }

    // ------------------------------------------------------------ from the relays

    void noteBuffered(long delta, long sessionBuffered) {
        buffered.addAndGet(delta);
        peakBuffered.accumulateAndGet(sessionBuffered, Math::max);
    }

    String idleTimeoutText() {
        return settings.idleTimeout().toString().substring(2).toLowerCase();
    }

    /** @param recordingTruncated completes when the recording is closed, with whether it was cut at its cap */
    void ended(ShellRelay relay, ShellSessionRecord.End end, long pid, CompletableFuture<Boolean> recordingTruncated) {
        relays.remove(relay.id(), relay);
        metrics.shellEnded(end.reason());
        LOG.info("shell {} on agent {} ended: {}{}", relay.id(), relay.agentId(), end.reason(),
                end.exitCode() == null ? "" : " (exit code " + end.exitCode() + ")");
        CompletableFuture<Long> start = started.remove(relay.id());
        if (start == null) {
            return;
        }
        start.thenCombineAsync(recordingTruncated, (auditId, truncated) -> {
            ShellSessionRecord.End completed = end.withRecordingTruncated(truncated);
            sessions.end(relay.id().hex(), completed);
            audit.complete(auditId, details(sessions.get(relay.id().hex()), completed, pid));
            return auditId;
        }, db).exceptionally(failure -> {
            LOG.error("cannot record the end of shell {}", relay.id(), failure);
            return null;
        });
    }

    private static JsonObject details(ShellSessionRecord row, ShellSessionRecord.End end, Long pid) {
        JsonObject details = new JsonObject()
                .put("session", row.id())
                .put("command", new JsonArray(new ArrayList<Object>(row.command())))
                .put("rows", row.rows())
                .put("cols", row.cols())
                .put("started_at", row.startedAt());
        if (end != null) {
            details.put("ended_at", end.endedAt()).put("bytes_in", end.bytesIn()).put("bytes_out", end.bytesOut())
                    .put("exit_code", end.exitCode()).put("signal", end.signal()).put("end_reason", end.reason())
                    .put("pid", pid).put("recording_truncated", end.recordingTruncated());
        }
        return details;
    }

    private static ByteString sessionId(Envelope envelope) {
        return switch (envelope.getPayloadCase()) {
            case SHELL_READY -> envelope.getShellReady().getSessionId();
            case SHELL_ERROR -> envelope.getShellError().getSessionId();
            case SHELL_OUTPUT -> envelope.getShellOutput().getSessionId();
            case SHELL_EXIT -> envelope.getShellExit().getSessionId();
            case SHELL_CREDIT -> envelope.getShellCredit().getSessionId();
            default -> ByteString.EMPTY;
        };
    }

    private static Envelope terminate(ByteString id, String reason) {
        return Envelope.newBuilder().setShellClose(ShellClose.newBuilder()
                .setSessionId(id).setTerminate(true).setReason(reason)).build();
    }

    /** Ends every session (the server is stopping); their rows and recordings are completed. */
    @Override
    public void close() {
        Vertx on = vertx;
        if (on != null) {
            on.cancelTimer(sweepTimer);
            on.cancelTimer(retentionTimer);
        }
        for (ShellRelay relay : relays.values()) {
            relay.terminate("server_stopped", "server stopping");
        }
    }
}
