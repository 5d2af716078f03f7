package dev.tether.server.cluster;

import dev.tether.server.hub.Peers;
import dev.tether.server.store.Database;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import org.postgresql.PGConnection;
import org.postgresql.PGNotification;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Wake-ups between nodes over PostgreSQL {@code LISTEN/NOTIFY} on {@link #CHANNEL}.
 *
 * <p>Sending: callers only add to the pending notices and signal; one sender thread takes everything pending
 * at once and sends it in one transaction ({@link BusMessage} packs it into as few payloads as fit), then
 * waits {@link #MIN_INTERVAL} before the next. NOTIFY serialises commits, so this bounds a node to
 * {@code 1 / MIN_INTERVAL} notifying commits a second however many jobs, heartbeats or events it handles;
 * notices arriving meanwhile are coalesced into the next.
 *
 * <p>Receiving: a listener thread keeps a connection of its own with {@code LISTEN}. When that connection
 * fails, it reconnects, and since notices may have been missed meanwhile, it wakes every local connection
 * (each re-reads its outbox) and the event broadcaster: a missed notice delays nothing for longer than the
 * reconnect.
 *
 * <p>Bounds: pending wake-ups above {@link #MAX_PENDING_WAKES} agents become one "wake every agent". Thread
 * safe.
 */
final class NotifyBus implements Peers, AutoCloseable {

    static final String CHANNEL = "tether_cluster";
    /** Shortest time between two notifying commits of this node. */
    static final Duration MIN_INTERVAL = Duration.ofMillis(10);
    /** How long the listener waits for notifications per poll. */
    private static final Duration POLL = Duration.ofMillis(500);
    /** Wait before reconnecting a failed listener or retrying a failed send. */
    private static final Duration RETRY = Duration.ofSeconds(1);
    static final int MAX_PENDING_WAKES = 20_000;
    private static final Logger LOG = LoggerFactory.getLogger(NotifyBus.class);

    private final Database db;
    private final String self;
    private final BusMessage.Handler handler;
    private final Object lock = new Object();
    // Guarded by lock.
    private Set<String> wakes = new LinkedHashSet<>();
    private boolean wakeAll;
    private List<String> revokes = new ArrayList<>();
    private Map<String, String> takeovers = new LinkedHashMap<>();
    private boolean events;
    private final AtomicBoolean closed = new AtomicBoolean();
    private final Thread sender;
    private final Thread listener;
    /** Set once the listener's LISTEN is in place (tests, start-up). */
    private volatile boolean listening;

    NotifyBus(Database db, String self, BusMessage.Handler handler) {
        this.db = db;
        this.self = self;
        this.handler = handler;
        this.sender = Thread.ofPlatform().daemon().name("tether-cluster-notify").unstarted(this::sendLoop);
        this.listener = Thread.ofPlatform().daemon().name("tether-cluster-listen").unstarted(this::listenLoop);
    }

    void start() {
        sender.start();
        listener.start();
    }

    boolean listening() {
        return listening;
    }

    // ------------------------------------------------------------ Peers (any thread, never blocks)

    @Override
    public void wake(String agentId) {
        synchronized (lock) {
            if (!wakeAll) {
                wakes.add(agentId);
                if (wakes.size() > MAX_PENDING_WAKES) {
                    wakeAll = true;
                    wakes = new LinkedHashSet<>();
                }
            }
            lock.notifyAll();
        }
    }

    @Override
    public void revoke(String agentId) {
        synchronized (lock) {
            revokes.add(agentId);
            lock.notifyAll();
        }
    }

    @Override
    public void tookOver(String agentId, String fromNode, long epoch) {
        synchronized (lock) {
            takeovers.put(agentId, fromNode + " " + agentId + " " + epoch);
            lock.notifyAll();
        }
    }

    /** Server events were committed here: the other nodes' streams should read them. */
    void eventsCommitted() {
        synchronized (lock) {
            events = true;
            lock.notifyAll();
        }
    }

    // ------------------------------------------------------------ sending

    private void sendLoop() {
        while (!closed.get()) {
            BusMessage.Notices notices = awaitNotices();
            if (notices == null) {
                return;
            }
            try {
                send(BusMessage.encode(self, notices));
                sleep(MIN_INTERVAL);
            } catch (RuntimeException e) {
                LOG.warn("could not notify the other nodes; retrying in {} s", RETRY.toSeconds(), e);
                requeue(notices);
                sleep(RETRY);
            }
        }
    }

    /** Blocks until something is pending and takes all of it; null once closed. */
    private BusMessage.Notices awaitNotices() {
        synchronized (lock) {
            while (!closed.get() && wakes.isEmpty() && !wakeAll && revokes.isEmpty() && takeovers.isEmpty()
                    && !events) {
                try {
                    lock.wait();
                } catch (InterruptedException e) {
                    return null;
                }
            }
            if (closed.get()) {
                return null;
            }
            BusMessage.Notices taken = new BusMessage.Notices(List.copyOf(wakes), wakeAll, revokes,
                    List.copyOf(takeovers.values()), events);
            wakes = new LinkedHashSet<>();
            wakeAll = false;
            revokes = new ArrayList<>();
            takeovers = new LinkedHashMap<>();
            events = false;
            return taken;
        }
    }

    private void requeue(BusMessage.Notices notices) {
        synchronized (lock) {
            wakes.addAll(notices.wakes());
            wakeAll |= notices.wakeAll();
            revokes.addAll(notices.revokes());
            for (String takeover : notices.takeovers()) {
                takeovers.putIfAbsent(takeover.split(" ")[1], takeover);
            }
            events |= notices.events();
        }
    }

    private void send(List<String> payloads) {
        db.inTransaction("notify other nodes", connection -> {
            try (PreparedStatement notify = connection.prepareStatement("SELECT pg_notify(?, ?)")) {
                for (String payload : payloads) {
                    notify.setString(1, CHANNEL);
                    notify.setString(2, payload);
                    notify.executeQuery().close();
                }
            }
            return null;
        });
    }

    // ------------------------------------------------------------ receiving

    private void listenLoop() {
        boolean first = true;
        while (!closed.get()) {
            try (Connection connection = db.openDedicated()) {
                try (Statement listen = connection.createStatement()) {
                    listen.execute("LISTEN " + CHANNEL);
                }
                listening = true;
                if (!first) {
                    LOG.info("cluster listener reconnected; every agent connection here re-reads its outbox");
                    handler.wakeAll();
                    handler.events();
                }
                first = false;
                receive(connection.unwrap(PGConnection.class));
            } catch (SQLException | RuntimeException e) {
                listening = false;
                if (!closed.get()) {
                    LOG.warn("cluster listener lost its database connection; reconnecting in {} s: {}",
                            RETRY.toSeconds(), e.getMessage());
                    sleep(RETRY);
                }
            }
        }
    }

    private void receive(PGConnection connection) throws SQLException {
        while (!closed.get()) {
            PGNotification[] notifications = connection.getNotifications((int) POLL.toMillis());
            if (notifications == null) {
                continue;
            }
            for (PGNotification notification : notifications) {
                try {
                    BusMessage.decode(notification.getParameter(), self, handler);
                } catch (RuntimeException e) {
                    LOG.warn("could not handle a cluster notice", e);
                }
            }
        }
    }

    private void sleep(Duration duration) {
        try {
            Thread.sleep(duration.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void close() {
        closed.set(true);
        synchronized (lock) {
            lock.notifyAll();
        }
        sender.interrupt();
        listener.interrupt();
    }
}
