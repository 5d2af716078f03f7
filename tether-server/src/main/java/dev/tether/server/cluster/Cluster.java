package dev.tether.server.cluster;

import dev.tether.protocol.CloseCodes;
import dev.tether.server.cluster.NodeRegistry.Self;
import dev.tether.server.events.EventBroadcaster;
import dev.tether.server.hub.Hub;
import dev.tether.server.hub.LiveConnection;
import dev.tether.server.store.Database;
import dev.tether.server.store.Dialect;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * This node's part in the cluster: its lease ({@link Membership}), the wake-ups it sends and receives
 * ({@link NotifyBus}, PostgreSQL only), whether it runs the periodic work ({@link Leadership}) and its
 * draining on stop. A single node is a cluster of one: the same code, with nobody to notify.
 *
 * <p>Work runs on two threads of its own: the renewal every {@link Membership#RENEW_PERIOD}, the sweep and
 * leadership check every {@link #TICK}; on PostgreSQL over a connection pool of its own
 * ({@link #CONNECTIONS}), so neither waits behind the server's database work. Thread safe.
 */
public final class Cluster implements AutoCloseable {

    /** Pooled connections the cluster's work needs: renewal, sweep, notices, one each. */
    public static final int CONNECTIONS = 3;
    /** Period of the sweep and the leadership check. */
    static final Duration TICK = Duration.ofSeconds(1);
    /** A draining node closes its agents' connections spread over this long, so they do not land at once. */
    static final Duration DRAIN_SPREAD = Duration.ofSeconds(3);
    private static final Logger LOG = LoggerFactory.getLogger(Cluster.class);

    private final NodeRegistry registry;
    private final Membership membership;
    private final Leadership leadership;
    /** Null on SQLite. */
    private final NotifyBus bus;
    private final Hub hub;
    private final ScheduledExecutorService thread;
    private volatile boolean draining;

    private Cluster(NodeRegistry registry, Membership membership, Leadership leadership, NotifyBus bus, Hub hub) {
        this.registry = registry;
        this.membership = membership;
        this.leadership = leadership;
        this.bus = bus;
        this.hub = hub;
        // Two threads: a long sweep (a dead node's thousands of agents) never delays this node's own renewal.
        this.thread = Executors.newScheduledThreadPool(2,
                Thread.ofPlatform().daemon().name("tether-cluster-", 1).factory());
    }

    /**
     * Joins the cluster (blocking, up to a lease when an earlier process of this name crashed), then connects
     * the hub and the event broadcaster to the other nodes and starts renewing.
     *
     * @param advertiseUrl where other nodes reach this one
     * @throws IllegalStateException when the name is taken by a live node, or a SQLite database by another node
     */
    public static Cluster join(Database db, ClusterSettings settings, URI advertiseUrl, String version, Hub hub,
            EventBroadcaster broadcaster) throws InterruptedException {
        NodeRegistry registry = new NodeRegistry(db);
        Self self = new Self(settings.nodeName(), UUID.randomUUID().toString(), advertiseUrl.toString(), version,
                Membership.LEASE.toMillis());
        Membership membership = new Membership(registry, self,
                () -> hub.closeAll(CloseCodes.GOING_AWAY, "this server node lost its cluster lease: reconnect"),
                broadcaster::wake);
        membership.join();
        NotifyBus bus = db.dialect() == Dialect.POSTGRESQL
                ? new NotifyBus(db, settings.nodeName(), new Deliveries(hub, broadcaster)) : null;
        Cluster cluster = new Cluster(registry, membership, new Leadership(db), bus, hub);
        if (bus != null) {
            hub.connectPeers(bus);
            broadcaster.onCommitted(bus::eventsCommitted);
            bus.start();
        }
        cluster.schedule();
        if (advertiseUrl.getPort() == 0) {
            LOG.info("node '{}' joined the cluster; it advertises its URL once it listens", settings.nodeName());
        } else {
            LOG.info("node '{}' joined the cluster, advertised at {}", settings.nodeName(), advertiseUrl);
        }
        return cluster;
    }

    private void schedule() {
        thread.execute(leadership::check);
        thread.scheduleWithFixedDelay(() -> membership.renew(hub.connectedCount(), draining),
                Membership.RENEW_PERIOD.toMillis(), Membership.RENEW_PERIOD.toMillis(), TimeUnit.MILLISECONDS);
        thread.scheduleWithFixedDelay(() -> {
            membership.sweep();
            leadership.check();
        }, TICK.toMillis(), TICK.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** Records the URL this node listens at, when it was known only after listening. Blocking. */
    public void advertise(URI url) {
        membership.advertise(url.toString());
        LOG.info("node '{}' advertised at {}", nodeName(), url);
    }

    public String nodeName() {
        return membership.self().name();
    }

    /** Whether this node runs the cluster's periodic work now. */
    public boolean leader() {
        return leadership.leader();
    }

    public boolean draining() {
        return draining;
    }

    /**
     * Why this node should not take new connections now, or empty when it should: it is draining, or it has not
     * renewed its lease for longer than the lease lasts (its database does not answer in time, and the other
     * nodes may already have taken its agents). Answers from memory: a probe never waits behind database work.
     */
    public Optional<String> unready() {
        if (draining) {
            return Optional.of("draining");
        }
        Duration since = membership.sinceRenewal();
        if (since.compareTo(Membership.LEASE) > 0) {
            return Optional.of("lease_lapsed");
        }
        return Optional.empty();
    }

    /** How long ago this node last renewed its lease. */
    public Duration sinceRenewal() {
        return membership.sinceRenewal();
    }

    /** How long a lease lasts without renewal. */
    public static Duration lease() {
        return Membership.LEASE;
    }

    /** Every node the table knows, live or expired, by name. Blocking. */
    public List<NodeRow> nodes() {
        return registry.list();
    }

    /**
     * Stops taking agents and hands those connected here to the other nodes: marks the node draining (the
     * other nodes and {@code /readyz} see it), then closes each agent's connection with 1001 at a random
     * moment within {@link #DRAIN_SPREAD}, so they reconnect elsewhere without landing at once. Without
     * another live node there is nowhere to go, and nothing is spread. Blocking.
     */
    public void drain() {
        draining = true;
        List<String> agents = hub.liveAgents();
        if (agents.isEmpty() || !otherNodeAlive()) {
            return;
        }
        thread.execute(() -> membership.renew(hub.connectedCount(), true));
        LOG.info("draining: handing {} agent(s) to the other nodes over {} s", agents.size(),
                DRAIN_SPREAD.toSeconds());
        long spreadMillis = DRAIN_SPREAD.toMillis();
        for (String agentId : agents) {
            long delay = ThreadLocalRandom.current().nextLong(spreadMillis);
            thread.schedule(() -> hub.connection(agentId).ifPresent(this::handOff), delay, TimeUnit.MILLISECONDS);
        }
        sleepQuietly(DRAIN_SPREAD.plusMillis(200));
    }

    private void handOff(LiveConnection connection) {
        connection.close(CloseCodes.GOING_AWAY, "this server node is stopping: reconnect to another node");
    }

    private boolean otherNodeAlive() {
        try {
            return nodes().stream().anyMatch(node -> !node.name().equals(nodeName())
                    && node.state().equals("alive"));
        } catch (RuntimeException e) {
            return false;
        }
    }

    private static void sleepQuietly(Duration duration) {
        try {
            Thread.sleep(duration.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void close() {
        thread.shutdownNow();
        try {
            thread.awaitTermination(2, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (bus != null) {
            bus.close();
        }
        leadership.close();
    }

    /** What notices from other nodes do here. */
    private record Deliveries(Hub hub, EventBroadcaster broadcaster) implements BusMessage.Handler {

        @Override
        public void wake(String agentId) {
            hub.wakeLocal(agentId);
        }

        @Override
        public void wakeAll() {
            hub.wakeAll();
        }

        @Override
        public void revoke(String agentId) {
            // Also when the agent is not here (yet): a handshake in flight here must not outlive the revocation.
            hub.revokeLocal(agentId);
        }

        @Override
        public void takenOver(String agentId, long epoch, String byNode) {
            hub.takenOver(agentId, epoch, byNode);
        }

        @Override
        public void events() {
            broadcaster.wakeLocal();
        }
    }
}
