package dev.tether.bench.peer;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * HAProxy in front of the nodes of a cluster, as docs/cluster.md runs it: one
 * frontend on a loopback port, least-connections balancing, {@code /readyz}
 * health checks every 500 ms (a node is out after two failures), and
 * redispatch of a connection a dead node refused. Runs in the foreground
 * ({@code -db}) as a child of the bench; its log goes beside the results.
 *
 * <p>HAProxy is one process and holds two descriptors per proxied connection,
 * so it carries at most half its open-files limit in agents (see
 * {@link #maxConnections}). Not thread safe.
 */
public final class Haproxy implements AutoCloseable {

    public static final Path BINARY = Path.of("/usr/sbin/haproxy");
    /** Descriptors HAProxy needs besides proxied connections: listeners, health checks, logs. */
    private static final int RESERVED_FILES = 200;
    private static final Duration READY_TIMEOUT = Duration.ofSeconds(20);

    private final Process process;
    private final int port;

    private Haproxy(Process process, int port) {
        this.process = process;
        this.port = port;
    }

    /** The binary, or an exception saying how to install it. */
    public static Path binary() {
        if (!Files.isExecutable(BINARY)) {
            throw new IllegalStateException("HAProxy is not installed at " + BINARY + "; the cluster scenario "
                    + "balances a share of the agents through it: apt-get update && apt-get install -y haproxy");
        }
        return BINARY;
    }

    /** The most agent connections one HAProxy process can carry with this open-files limit. */
    public static int maxConnections(long openFilesLimit) {
        return (int) Math.max(0, (openFilesLimit - RESERVED_FILES) / 2);
    }

    /**
     * Writes the configuration into {@code workDir} and starts HAProxy on {@code port}, balancing over the
     * nodes' {@code host:port} addresses; returns once it accepts connections.
     */
    public static Haproxy start(Path workDir, int port, List<InetSocketAddress> nodes, int maxConnections)
            throws IOException, InterruptedException {
        Files.createDirectories(workDir);
        Path config = workDir.resolve("haproxy.cfg");
        Files.writeString(config, config(port, nodes, maxConnections));
        Path log = workDir.resolve("haproxy.log");
        Process process = new ProcessBuilder(binary().toString(), "-db", "-f", config.toString())
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
        Haproxy haproxy = new Haproxy(process, port);
        haproxy.awaitListening(log);
        return haproxy;
    }

    /** The configuration: docs/cluster.md's, on plain HTTP and loopback, with room for {@code maxConnections}. */
    static String config(int port, List<InetSocketAddress> nodes, int maxConnections) {
        StringBuilder config = new StringBuilder("""
                global
                    maxconn %d
                defaults
                    mode http
                    maxconn %d
                    timeout connect 1s
                    timeout client 1h
                    timeout server 1h
                    timeout tunnel 1h
                    timeout check 2s
                    option redispatch
                    retries 2
                frontend agents
                    bind 127.0.0.1:%d
                    default_backend nodes
                backend nodes
                    balance leastconn
                    option httpchk GET /readyz
                    default-server inter 1s fall 3 rise 2 on-marked-down shutdown-sessions
                """.formatted(maxConnections, maxConnections, port));
        for (int i = 0; i < nodes.size(); i++) {
            InetSocketAddress node = nodes.get(i);
            config.append("    server node").append(i).append(' ').append(node.getHostString()).append(':')
                    .append(node.getPort()).append(" check\n");
        }
        return config.toString();
    }

    /** The agent endpoint through the balancer. */
    public URI agentUri() {
        return URI.create("ws://127.0.0.1:" + port + "/v1/agents/connect");
    }

    public long pid() {
        return process.pid();
    }

    private void awaitListening(Path log) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + READY_TIMEOUT.toNanos();
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new IOException("HAProxy exited with " + process.exitValue() + "; see " + log);
            }
            try (Socket socket = new Socket()) {
                socket.connect(new InetSocketAddress("127.0.0.1", port), 200);
                return;
            } catch (IOException notYet) {
                Thread.sleep(100);
            }
        }
        close();
        throw new IOException("HAProxy did not listen on " + port + " within " + READY_TIMEOUT + "; see " + log);
    }

    @Override
    public void close() {
        process.destroy();
        try {
            if (!process.waitFor(5, TimeUnit.SECONDS)) {
                process.destroyForcibly();
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }
}
