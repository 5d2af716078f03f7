package dev.tether.server.hub;

import dev.tether.server.store.AgentSessionStore;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes agents' {@code last_seen} to the database in batches: every
 * {@link #FLUSH_INTERVAL}, one transaction with the values that changed since
 * the last flush, never one write per heartbeat.
 *
 * <p>Thread safe: {@link #departed} is called from any thread; flushes are
 * serialised by this object's monitor and at most one is queued at a time.
 */
final class LastSeenFlusher {

    /** How stale {@code last_seen} may be in the database while an agent is online. */
    static final Duration FLUSH_INTERVAL = Duration.ofSeconds(5);
    private static final Logger LOG = LoggerFactory.getLogger(LastSeenFlusher.class);

    private final AgentSessionStore sessions;
    private final Executor executor;
    /** Final last_seen of agents whose connection ended since the last flush. */
    private final Map<String, Long> departed = new ConcurrentHashMap<>();
    /** Last value written per agent that was live at the last flush; guarded by this. */
    private final Map<String, Long> written = new HashMap<>();
    /** Whether a flush is queued or running. */
    private final AtomicBoolean queued = new AtomicBoolean();

    LastSeenFlusher(AgentSessionStore sessions, Executor executor) {
        this.sessions = sessions;
        this.executor = executor;
    }

    void departed(String agentId, long lastSeenMillis) {
        departed.merge(agentId, lastSeenMillis, Math::max);
    }

    /** Queues a flush on the database executor, unless one is queued already. */
    void flushAsync(List<LiveConnection> live) {
        if (!queued.compareAndSet(false, true)) {
            return;
        }
        try {
            executor.execute(() -> {
                try {
                    flushNow(live);
                } finally {
                    queued.set(false);
                }
            });
        } catch (RejectedExecutionException e) {
            queued.set(false);
        }
    }

    /** Writes what changed, blocking; on failure the departed values are kept for the next flush. */
    synchronized void flushNow(List<LiveConnection> live) {
        Map<String, Long> batch = new HashMap<>();
        for (LiveConnection connection : live) {
            long seen = connection.lastSeenMillis();
            if (!Long.valueOf(seen).equals(written.get(connection.agentId()))) {
                batch.put(connection.agentId(), seen);
            }
        }
        Map<String, Long> gone = new HashMap<>();
        for (String agentId : List.copyOf(departed.keySet())) {
            Long seen = departed.remove(agentId);
            if (seen != null) {
                gone.put(agentId, seen);
                batch.merge(agentId, seen, Math::max);
            }
        }
        try {
            sessions.flushLastSeen(batch);
        } catch (RuntimeException e) {
            gone.forEach(this::departed);
            LOG.warn("could not write last_seen of {} agents; will retry", batch.size(), e);
            return;
        }
        written.keySet().removeAll(gone.keySet());
        for (LiveConnection connection : live) {
            written.put(connection.agentId(), batch.getOrDefault(connection.agentId(),
                    written.get(connection.agentId())));
        }
    }
}
