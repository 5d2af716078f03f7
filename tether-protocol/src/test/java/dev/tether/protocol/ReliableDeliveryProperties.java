package dev.tether.protocol;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;

/**
 * Drives an agent end and a server end through random publishes, partial
 * deliveries, cut links and crashes of either side, then lets the link heal
 * and checks that every reliable payload was applied exactly once, in order,
 * in both directions.
 */
class ReliableDeliveryProperties {

    private static final int STEP_KINDS = 10;

    @Property(tries = 400)
    void everyReliablePayloadIsAppliedExactlyOnceInOrder(
            @ForAll @Size(max = 300) List<@IntRange(min = 0, max = 999) Integer> steps,
            @ForAll @IntRange(min = 1, max = 16) int window) throws ProtocolException {
        Tether tether = new Tether(window);

        for (int step : steps) {
            tether.run(step % STEP_KINDS, step / STEP_KINDS);
        }
        tether.heal();

        assertThat(tether.server.appliedLog()).isEqualTo(tether.agent.published());
        assertThat(tether.agent.appliedLog()).isEqualTo(tether.server.published());
    }

    /** Two ends and the frames in flight between them. */
    private static final class Tether {
        final SimulatedEnd agent;
        final SimulatedEnd server;
        final Deque<byte[]> toServer = new ArrayDeque<>();
        final Deque<byte[]> toAgent = new ArrayDeque<>();
        boolean connected;

        Tether(int window) {
            agent = new SimulatedEnd(Peer.AGENT, window);
            server = new SimulatedEnd(Peer.SERVER, window);
        }

        void run(int kind, int arg) throws ProtocolException {
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
                default -> throw new AssertionError(kind);
            }
        }

        /** Reconnects and pumps until nothing moves any more. */
        void heal() throws ProtocolException {
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
}
