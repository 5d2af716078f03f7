package dev.tether.bench.scenario;

import dev.tether.bench.DurationConverter;
import dev.tether.bench.peer.Haproxy;
import dev.tether.bench.report.Histogram;
import dev.tether.bench.server.AdminClient;
import dev.tether.bench.sim.Credentials;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code tether bench cluster}: three nodes (by default) on one throwaway PostgreSQL, HAProxy in front, and
 * simulated agents spread over them (most given the nodes' URLs directly, a share through HAProxy: one HAProxy
 * process cannot carry tens of thousands of connections here). Measures, in order: connect and agents held per
 * node; memory per agent per node; a fan-out to every agent through node A (ack and job end, the share held by
 * other nodes); single-agent commands through A to idle agents held by node B (the cross-node wake-up); and a
 * fan-out through A with the last node killed -9 in the middle of it (the timeline to every agent re-homed and
 * every job final, 0 lost, 0 received twice).
 *
 * <p>Exits 0 when every command reached every agent once and every job succeeded; the wake-up target is reported,
 * not enforced.
 */
@Command(name = "cluster", mixinStandardHelpOptions = true,
        description = {"Three nodes on PostgreSQL behind HAProxy: agents held per node, fan-out through one node "
                + "(ack and job end, cross-node share), cross-node wake-up, kill -9 of a node mid fan-out "
                + "(re-homed, jobs final, 0 lost, 0 duplicated), memory per agent per node."})
public final class ClusterScenario implements Callable<Integer> {

    /** The target: a command created on A reaches an idle agent held by B within this, p99. */
    static final Duration WAKEUP_TARGET_P99 = Duration.ofMillis(100);
    static final int MAX_NODES = 8;

    @Mixin
    RunOptions run;

    @Option(names = "--agents", paramLabel = "N", defaultValue = "6000",
            description = "simulated agents over all nodes (default: ${DEFAULT-VALUE}, 3 x 2,000; the open-files "
                    + "limit here allows about 3 x 19,000)")
    int agents;

    @Option(names = "--nodes", paramLabel = "N", defaultValue = "3",
            description = "server nodes, 2-" + MAX_NODES + " (default: ${DEFAULT-VALUE})")
    int nodes;

    @Option(names = "--haproxy-share", paramLabel = "PERCENT", defaultValue = "25",
            description = "agents that dial HAProxy rather than the nodes, capped at what one HAProxy process can "
                    + "carry with the open-files limit (default: ${DEFAULT-VALUE})")
    int haproxyShare;

    @Option(names = "--wakeups", paramLabel = "N", defaultValue = "100",
            description = "single-agent commands through node A to idle agents held by node B "
                    + "(default: ${DEFAULT-VALUE})")
    int wakeups;

    @Option(names = "--warm-up", paramLabel = "R", defaultValue = "1",
            description = "unmeasured fan-outs first, so the JIT has compiled the path (default: ${DEFAULT-VALUE})")
    int warmUp;

    @Option(names = "--kill-after", paramLabel = "DURATION", defaultValue = "200ms",
            converter = DurationConverter.class,
            description = "how long after the recovery fan-out's API call returned the last node is killed -9 "
                    + "(default: ${DEFAULT-VALUE})")
    Duration killAfter;

    @Option(names = "--heartbeat-interval", paramLabel = "DURATION", defaultValue = "30s",
            converter = DurationConverter.class,
            description = "the nodes' heartbeat interval (default: ${DEFAULT-VALUE})")
    Duration heartbeat;

    @Option(names = "--round-timeout", paramLabel = "DURATION", defaultValue = "3m",
            converter = DurationConverter.class,
            description = "bound on connecting, on each fan-out and on the recovery (default: ${DEFAULT-VALUE})")
    Duration roundTimeout;

    @Option(names = "--max-in-flight", paramLabel = "N", defaultValue = "256",
            description = "handshakes in progress at once while connecting (default: ${DEFAULT-VALUE})")
    int maxInFlight;

    @Override
    public Integer call() throws Exception {
        validate();
        BenchCluster.checkInstalled();
        run.fresh = true;
        try (BenchRun bench = BenchRun.open("cluster", run, System.out, agents, nodes)) {
            ClusterReport report = measure(bench);
            report.print(System.out);
            report.write();
            return report.clean() ? 0 : 1;
        }
    }

    private void validate() {
        if (nodes < 2 || nodes > MAX_NODES) {
            throw new IllegalArgumentException("--nodes must be 2-" + MAX_NODES + ", got " + nodes);
        }
        if (agents < nodes * 2) {
            throw new IllegalArgumentException("--agents must be at least 2 per node (" + nodes * 2 + "), got "
                    + agents);
        }
        if (haproxyShare < 0 || haproxyShare > 100 || wakeups < 1 || warmUp < 0) {
            throw new IllegalArgumentException("--haproxy-share must be 0-100, --wakeups at least 1 and "
                    + "--warm-up at least 0");
        }
    }

    private ClusterReport measure(BenchRun bench) throws Exception {
        int balanced = balancedAgents(bench);
        BenchCluster cluster = BenchCluster.start(bench, nodes, heartbeat, balanced);
        AdminClient viaA = cluster.admin(bench, 0);
        List<Credentials> creds = bench.agents(cluster.node(0), agents);
        List<String> ids = creds.stream().map(Credentials::id).toList();
        List<ClusterMemory.Reading> idle = ClusterMemory.read(bench, cluster);
        ClusterFleet fleet = ClusterFleet.start(bench, cluster, creds, balanced, maxInFlight);
        bench.out().printf("%,d agents: %,d given the %d node URLs, %,d through HAProxy%n", agents, fleet.direct(),
                nodes, fleet.balanced());
        double connectSeconds = connect(bench, viaA, cluster, fleet);
        Histogram connectLatency = fleet.snapshot().connect();
        Map<String, Long> held = cluster.heldPerNode(viaA);
        bench.out().println("agents held per node: " + held);
        List<ClusterMemory.Node> memory = ClusterMemory.perNode(cluster, idle, ClusterMemory.read(bench, cluster),
                held);
        Map<String, String> holders = viaA.agentHolders();
        for (int i = 0; i < warmUp; i++) {
            ClusterFanout.Fanout warm = ClusterFanout.fanout(bench, viaA, cluster.name(0), fleet, ids, holders,
                    roundTimeout);
            bench.out().printf("warm-up fan-out %d/%d: all ended in %.2f s%n", i + 1, warmUp, warm.seconds());
        }
        ClusterFanout.Fanout fanout = ClusterFanout.fanout(bench, viaA, cluster.name(0), fleet, ids, holders,
                roundTimeout);
        bench.out().printf("fan-out to %,d agents through %s: all ended in %.2f s%n", agents, cluster.name(0),
                fanout.seconds());
        List<String> onB = ids.stream().filter(id -> cluster.name(1).equals(holders.get(id))).toList();
        ClusterFanout.Wakeups wake = ClusterFanout.wakeups(bench, viaA, cluster.name(0), cluster.name(1), fleet,
                onB, wakeups, roundTimeout);
        ClusterRecovery.Result recovery = ClusterRecovery.run(bench, cluster, fleet, ids, nodes - 1, killAfter,
                roundTimeout);
        ClusterReport.Setup setup = new ClusterReport.Setup(agents, nodes, fleet.direct(), fleet.balanced(),
                heartbeat, killAfter, connectSeconds, connectLatency, held);
        return new ClusterReport(bench, setup, memory, fanout, wake, recovery, fleet.snapshot());
    }

    /** The HAProxy share, capped at what one HAProxy process can carry here. */
    private int balancedAgents(BenchRun bench) {
        int wanted = (int) ((long) agents * haproxyShare / 100);
        int cap = Haproxy.maxConnections(bench.preflight().limits().openFilesSoft());
        if (wanted > cap) {
            bench.out().printf("HAProxy carries at most %,d connections with 'Max open files' %,d (2 per agent): "
                    + "%,d agents go through it, not %,d%n", cap, bench.preflight().limits().openFilesSoft(), cap,
                    wanted);
        }
        return Math.min(wanted, cap);
    }

    /** Dials every agent; returns the seconds until all are online (then waits until every holding is on record). */
    private double connect(BenchRun bench, AdminClient viaA, BenchCluster cluster, ClusterFleet fleet) throws Exception {
        long start = System.nanoTime();
        fleet.connectAll();
        bench.await(agents + " agents online", roundTimeout, () -> fleet.snapshot().online() >= agents);
        double seconds = (System.nanoTime() - start) / 1e9;
        bench.out().printf("%,d agents online in %.1f s%n", agents, seconds);
        bench.await("every agent's holder on record", roundTimeout, () -> {
            try {
                return viaA.agentHolders().size() >= agents;
            } catch (java.io.IOException | RuntimeException e) {
                return false;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
        });
        // Each node counts its agents in its lease, renewed every 2 s.
        bench.await("every node's agent count renewed", roundTimeout, () -> heldInAll(viaA, cluster) >= agents);
        return seconds;
    }

    private static long heldInAll(AdminClient viaA, BenchCluster cluster) {
        try {
            return cluster.heldPerNode(viaA).values().stream().mapToLong(Long::longValue).sum();
        } catch (java.io.IOException | RuntimeException e) {
            return 0;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return 0;
        }
    }
}
