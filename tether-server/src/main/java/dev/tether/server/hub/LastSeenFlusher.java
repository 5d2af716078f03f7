package dev.tether.server.hub;

import dev.tether.server.store.AgentSessionStore;
import java.time.Duration;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes agents' {@code last_seen} to the database in batches: every
 * {@link #FLUSH_INTERVAL}, one transaction with the values that changed since
 * the last flush, never one write per heartbeat.
 *
 * <p>What changed is told by time, not remembered per agent: a flush writes the live agents whose last frame
 * came at or after the start of the last flush that succeeded. The clock is read before the live connections
 * are, so a frame is never older than the flush that skips it: a connection is either in that flush's view
 * (and its frame written) or registered after it, when its handshake had written its {@code last_seen}
 * already. A clock that steps back only makes a flush write more. An idle fleet so costs no memory here,
 * where a map of the last value written cost about 60 bytes an agent.
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
    /** The established connections, read at each flush. */
    private final Supplier<? extends Collection<LiveConnection>> live;
    /** Final last_seen of agents whose connection ended since the last flush. */
    private final Map<String, Long> departed = new ConcurrentHashMap<>();
    /** Wall clock at the start of the last flush that succeeded: frames before it are written. Guarded by this. */
    private long writtenBefore = Long.MIN_VALUE;
    /** Whether a flush is queued or running. */
    private final AtomicBoolean queued = new AtomicBoolean();

    LastSeenFlusher(AgentSessionStore sessions, Executor executor, Supplier<? extends Collection<LiveConnection>> live) {
        this.sessions = sessions;
        this.executor = executor;
        this.live = live;
    }

    void departed(String agentId, long lastSeenMillis) {
        departed.merge(agentId, lastSeenMillis, Math::max);
    }

    /** Queues a flush on the database executor, unless one is queued already. */
    void flushAsync() {
        if (!queued.compareAndSet(false, true)) {
            return;
        }
        try {
            executor.execute(() -> {
                try {
                    flushNow();
                } finally {
                    queued.set(false);
                }
            });
        } catch (RejectedExecutionException e) {
            queued.set(false);
        }
    }

    /** Writes what changed, blocking; on failure the departed values are kept for the next flush. */
    synchronized void flushNow() {
        long started = System.currentTimeMillis();
        Map<String, Long> batch = new HashMap<>();
        for (LiveConnection connection : live.get()) {
            long seen = connection.lastSeenMillis();
            if (seen >= writtenBefore) {
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
        writtenBefore = started;
    }
}
