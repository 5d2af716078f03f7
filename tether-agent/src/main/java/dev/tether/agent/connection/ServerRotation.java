package dev.tether.agent.connection;

import java.net.URI;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.random.RandomGenerator;

/**
 * The order an agent tries its servers in: shuffled once when the agent starts, then
 * round robin, each attempt (a failed dial, a lost or closed connection) going to the
 * next. The shuffle spreads a fleet given the same list over the servers instead of
 * sending every agent to the first; the rotation moves an agent off a server that is
 * down or draining without waiting for it. One server: always that one.
 *
 * <p>Not thread safe: owned by the thread that dials (the connection loop, or the
 * enrollment at start-up).
 */
public final class ServerRotation {

    private final List<URI> order;
    /** Index into {@link #order} of the next server to try. */
    private int next;

    private ServerRotation(List<URI> order) {
        this.order = List.copyOf(order);
    }

    /**
     * @param servers at least one
     * @param random draws the order; tests pass a seeded one
     */
    public static ServerRotation shuffled(List<URI> servers, RandomGenerator random) {
        if (servers.isEmpty()) {
            throw new IllegalArgumentException("at least one server URL is required (--server URL)");
        }
        List<URI> order = new ArrayList<>(servers);
        Collections.shuffle(order, random);
        return new ServerRotation(order);
    }

    /** The server for this attempt; the one after it is next. */
    public URI next() {
        URI server = order.get(next);
        next = (next + 1) % order.size();
        return server;
    }

    /** The server {@link #next()} returns, without moving on. */
    public URI peek() {
        return order.get(next);
    }

    /** Every server, in the order they are tried. */
    public List<URI> order() {
        return order;
    }

    public int size() {
        return order.size();
    }
}
