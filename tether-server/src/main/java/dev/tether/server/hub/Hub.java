package dev.tether.server.hub;

import dev.tether.protocol.CloseCodes;
import dev.tether.protocol.Limits;
import dev.tether.server.metrics.ServerMetrics;
import dev.tether.server.store.AgentSessionStore;
import io.vertx.core.Vertx;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The registry of agent connections on this server, and their presence.
 *
 * <p>One live connection per agent: {@link #register} replaces an older one,
 * which is closed with {@link CloseCodes#REPLACED}. Presence lives in memory.
 * One periodic tick (every {@link #scanPeriod}) closes connections whose
 * handshake is too slow ({@link CloseCodes#HANDSHAKE_TIMEOUT}), whose peer fell
 * silent for {@link Limits#MISSED_HEARTBEATS} intervals ({@link CloseCodes#DEAD_PEER})
 * or whose writes stalled for {@link Limits#WRITE_TIMEOUT}: no timer per connection,
 * and no scan of them all either. A {@link LivenessWheel} visits only the connections
 * whose deadline falls in the tick, and the few whose writes are blocked
 * ({@link #writesBlocked}) are looked at every tick.
 * {@code last_seen} goes to the database in batches (see {@link LastSeenFlusher}).
 * Each connection's last heartbeat is sampled into a per-agent hour of history
 * every {@link HeartbeatHistory#SAMPLE_PERIOD} (see {@link HeartbeatHistory}).
 *
 * <p>Thread safe: all state is in concurrent collections.
 */
public final class Hub implements AutoCloseable {

    /** Shortest period of the liveness scan. */
    static final Duration MIN_SCAN_PERIOD = Duration.ofMillis(50);
    private static final Logger LOG = LoggerFactory.getLogger(Hub.class);

    private final Vertx vertx;
    private final String nodeName;
    private final ServerMetrics metrics;
    private final Duration heartbeatInterval;
    private final Duration handshakeTimeout;
    private final LastSeenFlusher lastSeen;
    private final HeartbeatHistory history = new HeartbeatHistory();
    /** Every open connection, established or not. */
    private final Set<LiveConnection> connections = ConcurrentHashMap.newKeySet();
    /** Connections whose writes blocked: checked every tick until they flow again or the timeout closes them. */
    private final Set<LiveConnection> stalled = ConcurrentHashMap.newKeySet();
    private final LivenessWheel wheel;
    /** Silence after which a peer is dead: the intervals less one tick, since a visit may be a tick late. */
    private final long deadAfterNanos;
    /** The established connection of each agent connected here. */
    private final Map<String, LiveConnection> live = new ConcurrentHashMap<>();
    /** Agents that connected here before: their next connection is a reconnect. Bounded by the agent count. */
    private final Set<String> seen = ConcurrentHashMap.newKeySet();
    /** Agents revoked while this process runs, to close a race with a handshake in flight. */
    private final Set<String> revoked = ConcurrentHashMap.newKeySet();
    private final AtomicBoolean started = new AtomicBoolean();
    /** The other nodes, for agents not held here; set once at start-up. */
    private volatile Peers peers = Peers.NONE;
    // Timer ids; written once by start, read by close.
    private volatile long scanTimer = -1;
    private volatile long flushTimer = -1;
    private volatile long historyTimer = -1;

    /** @param nodeName this server's node name (the holder it writes for its agents) */
    public Hub(Vertx vertx, String nodeName, ServerMetrics metrics, Duration heartbeatInterval,
            Duration handshakeTimeout, AgentSessionStore sessions, Executor dbExecutor) {
        this.vertx = vertx;
        this.nodeName = nodeName;
        this.metrics = metrics;
        this.heartbeatInterval = heartbeatInterval;
        this.handshakeTimeout = handshakeTimeout;
        this.lastSeen = new LastSeenFlusher(sessions, dbExecutor, live::values);
        this.deadAfterNanos = heartbeatInterval.toNanos() * Limits.MISSED_HEARTBEATS - scanPeriod().toNanos();
        this.wheel = new LivenessWheel(scanPeriod().toNanos(),
                Math.max(deadAfterNanos, handshakeTimeout.toNanos()) + scanPeriod().toNanos(), new WheelRules());
        metrics.gaugeConnectedAgents(live::size);
        metrics.gaugeReliablePending("from_agents", this::reportedOutboxDepth);
    }

    /** Starts the liveness scan and the last_seen flusher. */
    public void start() {
        if (!started.compareAndSet(false, true)) {
            return;
        }
        scanTimer = vertx.setPeriodic(scanPeriod().toMillis(), id -> scan(System.nanoTime()));
        flushTimer = vertx.setPeriodic(LastSeenFlusher.FLUSH_INTERVAL.toMillis(),
                id -> lastSeen.flushAsync());
        historyTimer = vertx.setPeriodic(HeartbeatHistory.SAMPLE_PERIOD.toMillis(),
                id -> sampleHeartbeats(System.currentTimeMillis()));
    }

    /** Where wake-ups and revocations for agents held elsewhere go; call before serving. */
    public void connectPeers(Peers value) {
        this.peers = value;
    }

    public Peers peers() {
        return peers;
    }

    public String nodeName() {
        return nodeName;
    }

    /** Copies each live connection's last heartbeat into the history, and forgets agents gone for an hour. */
    void sampleHeartbeats(long nowMillis) {
        for (LiveConnection connection : live.values()) {
            history.record(connection.agentId(), connection.lastHeartbeat(), nowMillis);
        }
        history.sweep(nowMillis);
    }

    /** The last hour of heartbeats of every agent. */
    public HeartbeatHistory history() {
        return history;
    }

    /** A tenth of the heartbeat interval, at least {@link #MIN_SCAN_PERIOD}: detection stays within 10 % late. */
    public Duration scanPeriod() {
        Duration tenth = heartbeatInterval.dividedBy(10);
        return tenth.compareTo(MIN_SCAN_PERIOD) < 0 ? MIN_SCAN_PERIOD : tenth;
    }

    public Duration heartbeatInterval() {
        return heartbeatInterval;
    }

    /** Watches a connection from its upgrade on (handshake timeout, dead peer). */
    public void track(LiveConnection connection) {
        connections.add(connection);
        wheel.add(connection);
    }

    /**
     * The connection's writes just blocked ({@link LiveConnection#writeBlockedSinceNanos} is set): it is
     * closed when they stay blocked for {@link Limits#WRITE_TIMEOUT}. Any thread.
     */
    public void writesBlocked(LiveConnection connection) {
        if (connections.contains(connection)) {
            stalled.add(connection);
        }
    }

    /**
     * Makes {@code connection} its agent's live connection, closing the one it replaces.
     *
     * @return false when the agent was revoked meanwhile: the caller must close it
     */
    public boolean register(LiveConnection connection) {
        String agentId = connection.agentId();
        LiveConnection previous = live.put(agentId, connection);
        if (previous != null && previous != connection) {
            previous.close(CloseCodes.REPLACED, "replaced by a newer connection");
        }
        if (!seen.add(agentId)) {
            metrics.reconnected();
        }
        // Checked after the put: a concurrent revoke() either sees this connection or is seen here.
        return !revoked.contains(agentId);
    }

    /**
     * Forgets a connection that ended; the agent goes offline unless a newer connection replaced it.
     *
     * @return true when the agent went offline: this was its live connection
     */
    /**
     * Whether a connection of the same agent that opened after this one is already live, so this one's
     * Hello is stale (it reached the server after its replacement's) and must not replace it.
     */
    public boolean supersededAtHandshake(LiveConnection connection) {
        LiveConnection current = live.get(connection.agentId());
        return current != null && current != connection && current.openedNanos() - connection.openedNanos() > 0;
    }

    public boolean unregister(LiveConnection connection) {
        connections.remove(connection);
        stalled.remove(connection);
        if (live.remove(connection.agentId(), connection)) {
            lastSeen.departed(connection.agentId(), connection.lastSeenMillis());
            return true;
        }
        return false;
    }

    /** The agent's presence, once its connection here completed the handshake (registered and Welcome sent). */
    public Optional<Presence> presence(String agentId) {
        LiveConnection connection = live.get(agentId);
        if (connection == null || !connection.established()) {
            return Optional.empty();
        }
        return Optional.of(new Presence(connection.connectedAtMillis(), connection.lastSeenMillis(),
                connection.lastHeartbeat(), connection.lastHeartbeatMillis()));
    }

    /** The agent's established connection here, if it has one. */
    public Optional<LiveConnection> connection(String agentId) {
        return Optional.ofNullable(live.get(agentId));
    }

    public boolean online(String agentId) {
        return live.containsKey(agentId);
    }

    public int connectedCount() {
        return live.size();
    }

    /** Closes the agent's live connection at once, now and for any handshake in flight, on whichever node. */
    public void revoke(String agentId) {
        revokeLocal(agentId);
        peers.revoke(agentId);
    }

    /** {@link #revoke} on this node only: another node said so. */
    public void revokeLocal(String agentId) {
        revoked.add(agentId);
        LiveConnection connection = live.get(agentId);
        if (connection != null) {
            connection.close(CloseCodes.REVOKED, "agent key revoked");
        }
    }

    /** Tells the agent's connection, here or on the node holding it, that its outbox has something new. */
    public void wake(String agentId) {
        if (!wakeLocal(agentId)) {
            peers.wake(agentId);
        }
    }

    /** @return false when the agent has no connection here */
    public boolean wakeLocal(String agentId) {
        LiveConnection connection = live.get(agentId);
        if (connection == null) {
            return false;
        }
        connection.wake();
        return true;
    }

    /** Every connection here looks at its outbox again: a wake-up from another node may have been missed. */
    public void wakeAll() {
        for (LiveConnection connection : live.values()) {
            connection.wake();
        }
    }

    /**
     * Another node took the agent over with a connection of {@code epoch}: a connection here with an older
     * epoch is stale and closes (4001), as a replaced connection does within one node.
     */
    public void takenOver(String agentId, long epoch, String byNode) {
        LiveConnection connection = live.get(agentId);
        if (connection != null && connection.epoch() < epoch) {
            connection.close(CloseCodes.REPLACED, "replaced by a newer connection through node " + byNode);
        }
    }

    /** The agents whose live connection is here. */
    public List<String> liveAgents() {
        return List.copyOf(live.keySet());
    }

    /** Sum of the outbox depths agents last reported in heartbeats. */
    public long reportedOutboxDepth() {
        long depth = 0;
        for (LiveConnection connection : live.values()) {
            var heartbeat = connection.lastHeartbeat();
            depth += heartbeat == null ? 0 : heartbeat.getOutboxDepth();
        }
        return depth;
    }

    /**
     * One tick of the liveness checks: the connections due by {@code nowNanos}, and those whose writes are
     * blocked. A visit comes up to one tick after a deadline, so the dead-peer rule takes one tick less than
     * its intervals: a peer silent since t is closed between t + 3 intervals - 1 tick and t + 3 intervals.
     */
    void scan(long nowNanos) {
        wheel.advance(nowNanos);
        for (LiveConnection connection : stalled) {
            try {
                if (!connections.contains(connection) || connection.writeBlockedSinceNanos() == 0
                        || closeIfDead(connection, nowNanos)) {
                    stalled.remove(connection);
                }
            } catch (RuntimeException e) {
                LOG.warn("write check of agent {} failed", connection.agentId(), e);
            }
        }
    }

    /** @return whether the connection was closed */
    private boolean closeIfDead(LiveConnection connection, long nowNanos) {
        if (!connection.established()) {
            if (nowNanos - connection.openedNanos() > handshakeTimeout.toNanos()) {
                connection.close(CloseCodes.HANDSHAKE_TIMEOUT,
                        "no handshake within " + handshakeTimeout.toMillis() + " ms");
                return true;
            }
            return false;
        }
        long lastFrameNanos = connection.lastFrameNanos();
        long silentNanos = nowNanos - lastFrameNanos;
        if (silentNanos > deadAfterNanos) {
            // Judged again where the connection reads, once it has read: a starved event loop may hold the
            // agent's heartbeat unread. Not closed yet, so the wheel comes back to it until it is, or hears.
            connection.closeIfSilentSince(lastFrameNanos, CloseCodes.DEAD_PEER, "no frame for "
                    + silentNanos / 1_000_000 + " ms (" + Limits.MISSED_HEARTBEATS + " heartbeat intervals): dead peer");
            return false;
        }
        long blockedSince = connection.writeBlockedSinceNanos();
        if (blockedSince != 0) {
            if (nowNanos - blockedSince > Limits.WRITE_TIMEOUT.toNanos()) {
                connection.close(CloseCodes.DEAD_PEER, "writes blocked for " + Limits.WRITE_TIMEOUT.toSeconds()
                        + " s: the agent is not reading");
                return true;
            }
            stalled.add(connection);
        }
        return false;
    }

    /** The hub's rules as the wheel applies them. */
    private final class WheelRules implements LivenessWheel.Rules {

        @Override
        public boolean watched(LiveConnection connection) {
            return connections.contains(connection);
        }

        @Override
        public boolean closeIfDead(LiveConnection connection, long nowNanos) {
            try {
                return Hub.this.closeIfDead(connection, nowNanos);
            } catch (RuntimeException e) {
                LOG.warn("liveness check of agent {} failed", connection.agentId(), e);
                return false;
            }
        }

        /**
         * The dead-peer deadline; for a connection still in its handshake, the earlier of the handshake's and
         * that one (its last frame can only move later, so the deadline it gets once established is not
         * earlier than this).
         */
        @Override
        public long dueNanos(LiveConnection connection) {
            long silentDue = connection.lastFrameNanos() + deadAfterNanos + 1;
            if (connection.established()) {
                return silentDue;
            }
            return Math.min(silentDue, connection.openedNanos() + handshakeTimeout.toNanos() + 1);
        }
    }

    /** Closes every connection with this code and reason (server shutdown). */
    public void closeAll(int code, String reason) {
        for (LiveConnection connection : connections) {
            connection.close(code, reason);
        }
    }

    /** Stops the timers and writes the last_seen of every agent still connected, blocking. */
    @Override
    public void close() {
        vertx.cancelTimer(scanTimer);
        vertx.cancelTimer(flushTimer);
        vertx.cancelTimer(historyTimer);
        lastSeen.flushNow();
    }
}
