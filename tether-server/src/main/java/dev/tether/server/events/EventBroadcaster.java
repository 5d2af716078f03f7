package dev.tether.server.events;

import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Hands newly stored events to live subscribers, in id order.
 *
 * <p>Writers never call subscribers: after committing events they call
 * {@link #wake}, which only sets a flag and queues at most one drain task on the
 * database executor. The drain reads rows after its {@link #cursor} from
 * {@code server_events} and offers each to every subscriber, so the apply path
 * never blocks on a slow reader, and every node could feed its own readers from
 * the shared table. Without subscribers a drain only moves the cursor.
 *
 * <p>A subscriber that {@link #subscribe}s and then reads {@link #cursor()}
 * receives, live, every event with a larger id; older ones it reads itself from
 * the {@link EventLog}. That holds because the cursor is advanced before an
 * event is offered.
 *
 * <p>Without subscribers the cursor is moved to the end of the table at most every
 * {@link #IDLE_READ_INTERVAL}, not after every commit (that query was 5 % of the
 * server's CPU under a stream of agent events). A subscriber that arrives meanwhile
 * reads less itself and gets the rest live: subscribing queues a drain, which
 * offers every row after the cursor.
 *
 * <p>Bounds: at most {@link #MAX_SUBSCRIBERS} subscribers; one queued drain.
 * Thread safe.
 */
public final class EventBroadcaster {

    /** Live readers of the stream at most; the API refuses more with 503. */
    public static final int MAX_SUBSCRIBERS = 256;
    /** Rows read per query of a drain. */
    static final int READ_BATCH = 500;
    /** How often at most a drain without subscribers reads the end of the table. */
    static final Duration IDLE_READ_INTERVAL = Duration.ofMillis(100);
    private static final Logger LOG = LoggerFactory.getLogger(EventBroadcaster.class);

    private final EventLog log;
    private final Executor executor;
    /** How often at most a drain without subscribers reads the end of the table. */
    private final Duration idleReadInterval;
    private final Set<EventSubscriber> subscribers = ConcurrentHashMap.newKeySet();
    /** Something was stored since the last drain read the table. */
    private final AtomicBoolean dirty = new AtomicBoolean(true);
    /** A drain is queued or running. */
    private final AtomicBoolean scheduled = new AtomicBoolean();
    /** Highest id offered (or skipped while nobody listened); written by the single drain only. */
    private volatile long cursor;
    /** When a drain without subscribers last read the end of the table ({@code nanoTime}); the drain's own. */
    private long idleReadAt;
    /** Whether {@link #idleReadAt} is set; the drain's own. */
    private boolean idleReadOnce;
    /**
     * Where {@link #wake} also reports: the other nodes of a cluster, whose streams read the same table. Set
     * once at start-up.
     */
    private volatile Runnable peers = () -> { };

    public EventBroadcaster(EventLog log, Executor executor) {
        this(log, executor, IDLE_READ_INTERVAL);
    }

    EventBroadcaster(EventLog log, Executor executor, Duration idleReadInterval) {
        this.log = log;
        this.executor = executor;
        this.idleReadInterval = idleReadInterval;
    }

    /** Reads the current end of the stream, blocking; call once before serving. */
    public void start() {
        cursor = log.lastId();
    }

    public void onCommitted(Runnable value) {
        this.peers = value;
    }

    /** Events were committed here: queue a drain unless one is queued, and tell the other nodes. Never blocks. */
    public void wake() {
        wakeLocal();
        peers.run();
    }

    /** Events may have been committed (by another node, or a wake was lost): queue a drain. Never blocks. */
    public void wakeLocal() {
        dirty.set(true);
        if (scheduled.compareAndSet(false, true)) {
            try {
                executor.execute(this::drain);
            } catch (RejectedExecutionException e) {
                scheduled.set(false);
            }
        }
    }

    /** @return false when {@link #MAX_SUBSCRIBERS} are subscribed already */
    public boolean subscribe(EventSubscriber subscriber) {
        synchronized (subscribers) {
            if (subscribers.size() >= MAX_SUBSCRIBERS) {
                return false;
            }
            subscribers.add(subscriber);
        }
        // Rows after the cursor that no drain read while nobody listened are offered to it now.
        wakeLocal();
        return true;
    }

    public void unsubscribe(EventSubscriber subscriber) {
        subscribers.remove(subscriber);
    }

    /** The highest id offered to subscribers so far. */
    public long cursor() {
        return cursor;
    }

    public int subscriberCount() {
        return subscribers.size();
    }

    private void drain() {
        try {
            while (dirty.getAndSet(false)) {
                if (subscribers.isEmpty()) {
                    moveIdleCursor();
                } else {
                    offerNewRows();
                }
            }
        } catch (RuntimeException e) {
            LOG.warn("could not read new server events; will retry on the next one", e);
        } finally {
            scheduled.set(false);
        }
        if (dirty.get()) {
            wakeLocal();
        }
    }

    private void moveIdleCursor() {
        long now = System.nanoTime();
        if (idleReadOnce && now - idleReadAt < idleReadInterval.toNanos()) {
            return;
        }
        cursor = Math.max(cursor, log.lastId());
        idleReadAt = now;
        idleReadOnce = true;
    }

    private void offerNewRows() {
        List<ServerEvent> batch;
        do {
            batch = log.between(cursor, Long.MAX_VALUE, EventFilter.ALL, READ_BATCH);
            for (ServerEvent event : batch) {
                cursor = event.id();
                for (EventSubscriber subscriber : subscribers) {
                    offer(subscriber, event);
                }
            }
        } while (batch.size() == READ_BATCH);
    }

    private static void offer(EventSubscriber subscriber, ServerEvent event) {
        try {
            subscriber.offer(event);
        } catch (RuntimeException e) {
            LOG.warn("event subscriber failed", e);
        }
    }
}
