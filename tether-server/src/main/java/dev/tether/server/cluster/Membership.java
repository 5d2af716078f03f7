package dev.tether.server.cluster;

import dev.tether.server.cluster.NodeRegistry.Self;
import java.time.Duration;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * This node's lease in the {@code nodes} table, and the sweep of the others'.
 *
 * <p>{@link #join} registers the node, waiting up to a lease for an earlier process of the same name (a
 * restart after a crash) to expire. {@link #renew} renews every {@link #RENEW_PERIOD}; when the row was
 * swept meanwhile (this node stalled past its lease and another node took its agents offline), the node
 * has lost its agents: {@code onLeaseLost} closes their connections and the node joins again.
 * {@link #sweep} runs on every node every {@link Cluster#TICK}: any node may find an expired lease, and
 * only one sweeps each (see {@link NodeRegistry#sweep}).
 *
 * <p>{@link #renew} and {@link #sweep} run on the cluster's threads, each one at a time; {@link #join} at start.
 */
final class Membership {

    /** How long a lease lasts without renewal: a dead node's agents go offline this long after its death. */
    static final Duration LEASE = Duration.ofSeconds(6);
    static final Duration RENEW_PERIOD = Duration.ofSeconds(2);
    /** How often (in sweeps) expired nodes still holding agents are looked for. */
    static final int UNFINISHED_CHECK_TICKS = 10;
    /** A renewal slower than this is logged: the lease is at risk. */
    private static final Duration SLOW_RENEWAL = Duration.ofSeconds(1);
    /** Swept nodes' rows are shown as expired this long, then deleted. */
    static final Duration KEEP_EXPIRED = Duration.ofHours(1);
    private static final Logger LOG = LoggerFactory.getLogger(Membership.class);

    private final NodeRegistry registry;
    /** Replaced once when the advertise URL is known only after listening (port 0). */
    private volatile Self self;
    private final Runnable onLeaseLost;
    private final Runnable onSwept;
    /** When the lease was last renewed (or taken), by this process's clock; read by {@code /readyz}. */
    private volatile long renewedNanos = System.nanoTime();
    /** The sweep task only. */
    private long lastPurgeNanos = System.nanoTime();
    /** The sweep task only: sweeps run, to check for unfinished ones every {@link #UNFINISHED_CHECK_TICKS}. */
    private long ticks;

    /**
     * @param onLeaseLost closes this node's agent connections (they were taken offline by another node)
     * @param onSwept another node's agents were taken offline (events were written)
     */
    Membership(NodeRegistry registry, Self self, Runnable onLeaseLost, Runnable onSwept) {
        this.registry = registry;
        this.self = self;
        this.onLeaseLost = onLeaseLost;
        this.onSwept = onSwept;
    }

    Self self() {
        return self;
    }

    /** How long ago this node last renewed (or took) its lease. Any thread. */
    Duration sinceRenewal() {
        return Duration.ofNanos(System.nanoTime() - renewedNanos);
    }

    /**
     * Enters this node in the cluster.
     *
     * @throws IllegalStateException when a live node holds the name
     */
    void join() throws InterruptedException {
        long deadline = System.nanoTime() + LEASE.plus(RENEW_PERIOD).toNanos();
        boolean waited = false;
        while (true) {
            Optional<NodeRow> rival = registry.register(self);
            if (rival.isEmpty()) {
                renewedNanos = System.nanoTime();
                return;
            }
            NodeRow other = rival.get();
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("node name '" + self.name() + "' is held by a live node (" + other
                        .advertiseUrl() + ", lease renewed " + other.leaseAgeMillis() + " ms ago): give each node "
                        + "its own --node-name");
            }
            if (!waited) {
                LOG.info("node name '{}' has a lease renewed {} ms ago (an earlier process that crashed?): waiting "
                        + "up to {} s for it to expire", self.name(), other.leaseAgeMillis(), LEASE.toSeconds());
                waited = true;
            }
            Thread.sleep(500);
        }
    }

    /** Records the URL the node listens at, once known. */
    void advertise(String url) {
        self = new Self(self.name(), self.incarnation(), url, self.version(), self.leaseMillis());
        registry.advertise(self);
    }

    /** Renews the lease; a lost one closes this node's agents and joins again. */
    synchronized void renew(int agents, boolean draining) {
        long started = System.nanoTime();
        try {
            if (registry.renew(self, agents, draining)) {
                renewedNanos = started;
                long tookMillis = Duration.ofNanos(System.nanoTime() - started).toMillis();
                if (tookMillis > SLOW_RENEWAL.toMillis()) {
                    LOG.warn("renewing node '{}''s lease took {} ms (the lease lasts {} s): this node or the "
                            + "database is overloaded", self.name(), tookMillis, LEASE.toSeconds());
                }
                return;
            }
            LOG.warn("node '{}' lost its lease (it stalled longer than {} s and another node took its agents "
                    + "offline): closing its agent connections so they reconnect, and joining again",
                    self.name(), LEASE.toSeconds());
            onLeaseLost.run();
            if (registry.register(self).isEmpty()) {
                renewedNanos = System.nanoTime();
            }
        } catch (RuntimeException e) {
            LOG.warn("could not renew node '{}''s lease; retrying", self.name(), e);
        }
    }

    /** Takes the agents of nodes whose lease expired offline, and ends those nodes' database sessions. */
    void sweep() {
        try {
            for (String name : registry.expired()) {
                // First: a stalled node may hold row locks (an agent's row mid-transaction) that the sweep, and
                // the handshakes of its agents on other nodes, would wait for until it resumed.
                int ended = terminate(name);
                int offline = registry.sweep(name);
                if (offline < 0) {
                    continue;
                }
                LOG.warn("node '{}' stopped renewing its lease: {} agent(s) it held are offline until they "
                        + "reconnect through another node; {} database session(s) of it ended", name, offline, ended);
                onSwept.run();
            }
            if (++ticks % UNFINISHED_CHECK_TICKS == 0) {
                finishSweeps();
            }
            if (System.nanoTime() - lastPurgeNanos > KEEP_EXPIRED.toNanos()) {
                lastPurgeNanos = System.nanoTime();
                registry.purge(KEEP_EXPIRED.toMillis());
            }
        } catch (RuntimeException e) {
            LOG.warn("could not sweep expired nodes; retrying", e);
        }
    }

    /** A node that died in the middle of a sweep left agents held by an expired node: take them offline. */
    private void finishSweeps() {
        for (String name : registry.unfinishedSweeps()) {
            int offline = registry.offline(name);
            if (offline > 0) {
                LOG.warn("finished sweeping node '{}' (the node sweeping it stopped): {} more agent(s) offline",
                        name, offline);
                onSwept.run();
            }
        }
    }

    private int terminate(String name) {
        try {
            return registry.terminateSessions(name);
        } catch (RuntimeException e) {
            LOG.warn("could not end the database sessions of node '{}' (grant this role pg_signal_backend, or "
                    + "run every node as the same role): {}", name, e.getMessage());
            return 0;
        }
    }
}
