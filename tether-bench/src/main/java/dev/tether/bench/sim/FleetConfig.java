package dev.tether.bench.sim;

import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.UUID;

/**
 * How a {@link Fleet} connects and behaves.
 *
 * @param servers the agent endpoints, {@code ws://127.0.0.1:PORT/v1/agents/connect}: one for a single server;
 *     several for a cluster, where the agent at index i dials {@code servers[i % n]} first and moves to the next
 *     URL on every later attempt, as the real agent given several {@code --server} URLs does
 * @param sourceAddresses loopback addresses connections are bound to, round robin, so the fleet is not
 *     limited to one address's ephemeral ports
 * @param eventLoops threads carrying the agents (each agent stays on one)
 * @param backoff reconnect policy after a failure or a lost connection
 * @param rampPerSecond new agents dialled per second by {@link Fleet#connectAll()}, 0 for as fast as
 *     {@code maxInFlight} allows
 * @param maxInFlight handshakes in progress at once during the ramp (reconnects are not limited,
 *     like a real fleet's)
 * @param latencyWindow publish-to-ack latency is measured for up to this many unacknowledged events
 *     per agent (0: not measured)
 * @param runId tags this run's events ({@code {"run": runId, "n": i}}) and names the agents' boot id
 */
public record FleetConfig(List<URI> servers, List<InetAddress> sourceAddresses, int eventLoops, Backoff backoff,
        int rampPerSecond, int maxInFlight, int latencyWindow, String runId) {

    public FleetConfig {
        servers = List.copyOf(servers);
        Objects.requireNonNull(backoff, "backoff");
        Objects.requireNonNull(runId, "runId");
        sourceAddresses = List.copyOf(sourceAddresses);
        if (servers.isEmpty()) {
            throw new IllegalArgumentException("at least one server URL is needed");
        }
        for (URI server : servers) {
            if (!"ws".equals(server.getScheme())) {
                throw new IllegalArgumentException("the bench speaks plain ws:// on loopback only, got " + server);
            }
        }
        if (sourceAddresses.isEmpty()) {
            throw new IllegalArgumentException("at least one source address is needed");
        }
        for (InetAddress address : sourceAddresses) {
            if (!address.isLoopbackAddress()) {
                throw new IllegalArgumentException("source address " + address.getHostAddress()
                        + " is not loopback: the bench runs on loopback only");
            }
        }
        if (eventLoops <= 0) {
            throw new IllegalArgumentException("eventLoops must be positive, was " + eventLoops);
        }
        if (rampPerSecond < 0 || maxInFlight <= 0 || latencyWindow < 0) {
            throw new IllegalArgumentException("rampPerSecond >= 0, maxInFlight > 0 and latencyWindow >= 0 needed, got "
                    + rampPerSecond + ", " + maxInFlight + ", " + latencyWindow);
        }
    }

    /** Defaults for a server URL: one source address (127.0.0.2), two loops, the agent's backoff. */
    public static FleetConfig defaults(URI server) {
        return new FleetConfig(List.of(server), loopbackRange(2, 1), Math.max(1, Runtime.getRuntime().availableProcessors()),
                Backoff.defaults(), 0, 256, 0, UUID.randomUUID().toString().substring(0, 8));
    }

    /** The first (for a single server, the only) agent endpoint. */
    public URI server() {
        return servers.get(0);
    }

    /** The agent at fleet index i dials {@code urls[i % n]} first, then the next URL on every later attempt. */
    public FleetConfig withServers(List<URI> urls) {
        return new FleetConfig(urls, sourceAddresses, eventLoops, backoff, rampPerSecond, maxInFlight, latencyWindow,
                runId);
    }

    public FleetConfig withSourceAddresses(List<InetAddress> addresses) {
        return new FleetConfig(servers, addresses, eventLoops, backoff, rampPerSecond, maxInFlight, latencyWindow,
                runId);
    }

    public FleetConfig withEventLoops(int loops) {
        return new FleetConfig(servers, sourceAddresses, loops, backoff, rampPerSecond, maxInFlight, latencyWindow,
                runId);
    }

    public FleetConfig withBackoff(Backoff policy) {
        return new FleetConfig(servers, sourceAddresses, eventLoops, policy, rampPerSecond, maxInFlight,
                latencyWindow, runId);
    }

    public FleetConfig withRamp(int perSecond, int inFlight) {
        return new FleetConfig(servers, sourceAddresses, eventLoops, backoff, perSecond, inFlight, latencyWindow,
                runId);
    }

    public FleetConfig withLatencyWindow(int window) {
        return new FleetConfig(servers, sourceAddresses, eventLoops, backoff, rampPerSecond, maxInFlight, window,
                runId);
    }

    public FleetConfig withRunId(String id) {
        return new FleetConfig(servers, sourceAddresses, eventLoops, backoff, rampPerSecond, maxInFlight,
                latencyWindow, id);
    }

    /** {@code count} loopback addresses from 127.0.0.{@code first} on (127.0.1.0 follows 127.0.0.255). */
    public static List<InetAddress> loopbackRange(int first, int count) {
        if (first < 1 || count < 1 || first + count > 65_000) {
            throw new IllegalArgumentException("loopback range from " + first + " of " + count + " is out of bounds");
        }
        List<InetAddress> addresses = new ArrayList<>(count);
        for (int i = first; i < first + count; i++) {
            byte[] ip = {127, 0, (byte) (i >> 8), (byte) i};
            try {
                addresses.add(InetAddress.getByAddress(ip));
            } catch (UnknownHostException e) {
                throw new IllegalStateException("4 bytes are always a valid address", e);
            }
        }
        return addresses;
    }
}
