package dev.tether.protocol;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.function.Supplier;
import net.jqwik.api.statistics.Statistics;

/**
 * Two ends of a tether for property tests, an agent's and a server's, each with an outbox (in memory, or a
 * real store from the agent's or the server's module) and the frames in flight between them. A run is a list
 * of steps: publishes, partial sends and deliveries, cut links and crashes of either end; then the link heals,
 * and every reliable payload must have been applied exactly once, in order, in both directions. Not thread
 * safe.
 */
public final class SimulatedTether {

    /**
     * Kinds of step {@link #run} takes: publish, connect, send, deliver, cut, crash one, crash both, and a frame
     * delivered twice within one connection (a broken proxy), which the receiver refuses (1002: seq rewind),
     * ending the connection.
     */
    public static final int STEP_KINDS = 11;

    private final SimulatedEnd agent;
    private final SimulatedEnd server;
    private final Deque<byte[]> toServer = new ArrayDeque<>();
    private final Deque<byte[]> toAgent = new ArrayDeque<>();
    private boolean connected;
    private int duplicatesRefused;

    /** Both ends with outboxes in memory. */
    public SimulatedTether(int window) {
        this(window, SimulatedEnd.singleInstance(new MemoryOutbox()), SimulatedEnd.singleInstance(new MemoryOutbox()));
    }

    /**
     * @param agentOutbox opens the agent end's outbox: empty at first, from its disk after a crash
     * @param serverOutbox the same for the server end
     */
    public SimulatedTether(int window, Supplier<Outbox> agentOutbox, Supplier<Outbox> serverOutbox) {
        agent = new SimulatedEnd(Peer.AGENT, window, agentOutbox);
        server = new SimulatedEnd(Peer.SERVER, window, serverOutbox);
    }

    /** Runs each step ({@code step % STEP_KINDS} is its kind), then heals the link. */
    public void runAll(List<Integer> steps) throws ProtocolException {
        for (int step : steps) {
            run(step % STEP_KINDS, step / STEP_KINDS);
        }
        heal();
    }

    public void assertEachPayloadAppliedOnceInOrder() {
        assertThat(server.appliedLog()).isEqualTo(agent.published());
        assertThat(agent.appliedLog()).isEqualTo(server.published());
    }

    /**
     * Tells jqwik's statistics what the run went through, so a report shows that the generated runs did crash
     * with payloads pending, resend and receive duplicates: a property that never met them would prove little.
     */
    public void collectStatistics() {
        Statistics.label("crash with payloads pending").collect(
                agent.crashesWithPending() + server.crashesWithPending() > 0);
        Statistics.label("payloads resent").collect(agent.resent() + server.resent() > 0);
        Statistics.label("duplicate frame refused, link cut").collect(duplicatesRefused > 0);
        Statistics.label("payloads").collect(bucket(agent.published().size() + server.published().size()));
    }

    private static String bucket(int count) {
        return count == 0 ? "0" : count < 50 ? "1-49" : count < 200 ? "50-199" : "200+";
    }

    private void run(int kind, int arg) throws ProtocolException {
        int small = arg % 7 + 1;
        switch (kind) {
            case 0 -> agent.publish(small);
            case 1 -> server.publish(small);
            case 2 -> connect();
            case 3 -> send(agent, toServer, small);
            case 4 -> send(server, toAgent, small);
            case 5 -> deliver(toServer, server, small);
            case 6 -> deliver(toAgent, agent, small);
            case 7 -> cut();
            case 8 -> crash(arg % 2 == 0 ? agent : server);
            case 9 -> crashBoth();
            case 10 -> duplicate(arg % 2 == 0 ? toServer : toAgent, arg % 2 == 0 ? server : agent);
            default -> throw new AssertionError(kind);
        }
    }

    /** Reconnects and pumps until nothing moves any more. */
    private void heal() throws ProtocolException {
        connect();
        boolean moved = true;
        while (moved) {
            moved = send(agent, toServer, 64) | send(server, toAgent, 64);
            moved |= deliver(toServer, server, Integer.MAX_VALUE) | deliver(toAgent, agent, Integer.MAX_VALUE);
        }
    }

    private void connect() throws ProtocolException {
        if (connected) {
            return;
        }
        // Hello carries the agent's numbers, Welcome the server's.
        long agentApplied = agent.applied();
        long agentResume = agent.resumeSeq();
        long serverApplied = server.applied();
        long serverResume = server.resumeSeq();
        server.resume(agentApplied, agentResume);
        agent.resume(serverApplied, serverResume);
        connected = true;
    }

    private boolean send(SimulatedEnd from, Deque<byte[]> wire, int max) {
        if (!connected) {
            return false;
        }
        List<byte[]> frames = from.pump(max);
        wire.addAll(frames);
        return !frames.isEmpty();
    }

    private boolean deliver(Deque<byte[]> wire, SimulatedEnd to, int max) throws ProtocolException {
        int delivered = 0;
        while (delivered < max && !wire.isEmpty()) {
            to.receive(wire.poll());
            delivered++;
        }
        return delivered > 0;
    }

    /** The next frame on the wire arrives twice: a reliable one is refused the second time, and the link cut. */
    private void duplicate(Deque<byte[]> wire, SimulatedEnd to) throws ProtocolException {
        if (wire.isEmpty()) {
            return;
        }
        byte[] frame = wire.poll();
        to.receive(frame);
        try {
            to.receive(frame);
        } catch (ProtocolException e) {
            if (e.closeCode() != CloseCodes.PROTOCOL_ERROR) {
                throw e;
            }
            duplicatesRefused++;
            cut();
        }
    }

    private void cut() {
        toServer.clear();
        toAgent.clear();
        agent.disconnect();
        server.disconnect();
        connected = false;
    }

    private void crash(SimulatedEnd end) {
        cut();
        end.crash();
    }

    private void crashBoth() {
        cut();
        agent.crash();
        server.crash();
    }
}
