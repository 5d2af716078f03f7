package dev.tether.bench.scenario;

import dev.tether.bench.peer.Haproxy;
import dev.tether.bench.peer.ThrowawayPostgres;
import dev.tether.bench.server.AdminClient;
import dev.tether.bench.server.ServerProcess;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * The cluster under test: a throwaway Debian PostgreSQL, {@code n} {@code tether server} nodes on it (each with
 * its own name, loopback port, data dir and log, one cluster secret) and HAProxy in front of them, as
 * docs/cluster.md runs them. Every process belongs to the {@link BenchRun}, which stops them all.
 *
 * <p>Not thread safe: the scenario's thread drives it.
 */
final class BenchCluster {

    private final List<String> names;
    private final List<ServerProcess> nodes;
    private final Haproxy haproxy;
    private final ThrowawayPostgres postgres;

    private BenchCluster(List<String> names, List<ServerProcess> nodes, Haproxy haproxy, ThrowawayPostgres postgres) {
        this.names = List.copyOf(names);
        this.nodes = List.copyOf(nodes);
        this.haproxy = haproxy;
        this.postgres = postgres;
    }

    /**
     * The nodes' database, for what must not be read through a node's API: a busy node answers late, and
     * what it reports is as of when it answered.
     */
    ThrowawayPostgres postgres() {
        return postgres;
    }

    /** Checks that PostgreSQL and HAProxy are installed, saying what to install when not. */
    static void checkInstalled() {
        ThrowawayPostgres.binaries();
        Haproxy.binary();
    }

    /**
     * Starts PostgreSQL, {@code count} nodes named node-a, node-b ... and HAProxy with room for
     * {@code balancedAgents} connections.
     */
    static BenchCluster start(BenchRun bench, int count, Duration heartbeat, int balancedAgents)
            throws IOException, InterruptedException {
        Path work = bench.results().json().resolveSibling("cluster-" + bench.runId());
        Path pgWork = Files.createTempDirectory("tether-bench-postgres-");
        // Closed after PostgreSQL (the run closes in reverse order): keep its log, drop its data.
        bench.own(() -> keepLogAndDelete(pgWork, work.resolve("postgres.log")));
        ThrowawayPostgres postgres = bench.own(ThrowawayPostgres.start(pgWork, ServerProcess.freePort(), Map.of()));
        Path secret = writeSecret(work.resolve("cluster.secret"));
        List<String> names = new ArrayList<>();
        List<ServerProcess> nodes = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            String name = "node-" + (char) ('a' + i);
            int port = ServerProcess.freePort();
            List<String> args = List.of("--db", postgres.jdbcUrl(), "--node-name", name,
                    "--advertise-url", "http://127.0.0.1:" + port, "--cluster-secret-file", secret.toString());
            names.add(name);
            nodes.add(bench.startNode(name, port, heartbeat, args));
        }
        List<InetSocketAddress> addresses = nodes.stream()
                .map(n -> new InetSocketAddress("127.0.0.1", n.port())).toList();
        // Headroom over the agents it carries, but never past what its open-files limit allows: HAProxy refuses
        // to start when maxconn needs more descriptors than it may open.
        int maxconn = Math.min(balancedAgents + 100,
                Haproxy.maxConnections(bench.preflight().limits().openFilesSoft()));
        Haproxy haproxy = bench.own(Haproxy.start(work.resolve("haproxy"), ServerProcess.freePort(), addresses,
                maxconn));
        bench.out().printf("PostgreSQL on %s; HAProxy pid %d in front of %d nodes%n", postgres.jdbcUrl(),
                haproxy.pid(), count);
        return new BenchCluster(names, nodes, haproxy, postgres);
    }

    /**
     * PostgreSQL runs as the postgres user, which must reach its directory: the results dir may sit under one
     * only root can enter (a test's temp dir), so its data lives in a directory of its own under /tmp.
     */
    private static void keepLogAndDelete(Path pgWork, Path logCopy) throws IOException {
        Path log = pgWork.resolve("postgres.log");
        if (Files.exists(log)) {
            Files.createDirectories(logCopy.getParent());
            Files.copy(log, logCopy, StandardCopyOption.REPLACE_EXISTING);
        }
        try (Stream<Path> walk = Files.walk(pgWork)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }

    private static Path writeSecret(Path file) throws IOException {
        byte[] bytes = new byte[32];
        new SecureRandom().nextBytes(bytes);
        Files.createDirectories(file.getParent());
        Files.deleteIfExists(file);
        Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        Files.writeString(file, HexFormat.of().formatHex(bytes) + "\n");
        return file;
    }

    int size() {
        return nodes.size();
    }

    String name(int i) {
        return names.get(i);
    }

    List<String> names() {
        return names;
    }

    ServerProcess node(int i) {
        return nodes.get(i);
    }

    /** The nodes' agent endpoints, direct (not through HAProxy). */
    List<URI> agentUris() {
        return nodes.stream().map(ServerProcess::agentUri).toList();
    }

    URI balancedAgentUri() {
        return haproxy.agentUri();
    }

    AdminClient admin(BenchRun bench, int i) {
        return bench.admin(nodes.get(i));
    }

    /** Agents held per node name, as {@code GET /api/v1/cluster/nodes} on node {@code via} reports them. */
    Map<String, Long> heldPerNode(AdminClient via) throws IOException, InterruptedException {
        Map<String, Long> held = new java.util.LinkedHashMap<>();
        for (Map<String, Object> node : via.clusterNodes()) {
            held.put((String) node.get("name"), ((Number) node.getOrDefault("agents", 0L)).longValue());
        }
        return held;
    }
}
