package dev.tether.agent.connection;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.tether.agent.metrics.HostMetrics;
import dev.tether.agent.state.StateStore;
import dev.tether.agent.testing.Commands;
import dev.tether.agent.testing.FakeTetherServer;
import dev.tether.protocol.CloseCodes;
import dev.tether.protocol.ReliableChannel;
import dev.tether.protocol.v1.Envelope;
import dev.tether.protocol.v1.Welcome;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.AbstractList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.LongSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The connection loop against a fake server and a real state store: an {@code Error} in a session or in the
 * loop closes the connection, commits nothing, and the agent reconnects.
 */
class ConnectionManagerTest {

    private static final Duration RECONNECTED = Duration.ofSeconds(10);

    @TempDir
    Path stateDir;
    private FakeTetherServer server;
    private StateStore store;
    private ConnectionManager manager;

    @BeforeEach
    void start() throws Exception {
        server = FakeTetherServer.start();
        store = StateStore.open(stateDir);
    }

    @AfterEach
    void stop() throws Exception {
        if (manager != null) {
            manager.close();
        }
        store.close();
        server.close();
    }

    @Test
    void anErrorInsideTheTransactionApplyingAPayloadCommitsNothingAndTheAgentReconnectsAndAppliesItOnce() {
        Envelope cancel = server.sendReliable(Commands.cancel("job-1"));
        FailingOnceReceiver receiver = new FailingOnceReceiver();

        connect(() -> 0, receiver);

        await().atMost(RECONNECTED).until(() -> server.connections().size() >= 2 && manager.connected()
                && server.pendingForAgent() == 0);
        assertThat(server.connection(1).closeCode()).isEqualTo(CloseCodes.INTERNAL_ERROR);
        assertThat(receiver.applied).containsExactly(cancel.getSeq());
        assertThat(store.state().appliedServerSeq()).isEqualTo(cancel.getSeq());
    }

    @Test
    void anErrorInTheLoopBeforeDialingDoesNotEndReconnecting() {
        AtomicBoolean thrown = new AtomicBoolean();
        LongSupplier configVersion = () -> {
            if (thrown.compareAndSet(false, true)) {
                throw new AssertionError("thrown by the test while building the Hello");
            }
            return 0;
        };

        connect(configVersion, new FailingOnceReceiver());

        await().atMost(RECONNECTED).until(manager::connected);
        assertThat(thrown).isTrue();
        assertThat(server.connections()).hasSize(1);
    }

    private void connect(LongSupplier configVersion, Receiver receiver) {
        ReliableChannel channel = ReliableChannel.create(store.outbox(), store.state().appliedServerSeq());
        manager = new ConnectionManager(server.agentConfig(stateDir).build(),
                AgentIdentity.detect("test", "boot-1", Map.of()), channel, configVersion, List::of, receiver,
                new QueuedShellTraffic(), new HostMetrics(stateDir), new LinkStatus(LinkStatus.Journal.NONE, 0),
                Clock.systemUTC(), new SplittableRandom(1));
        manager.start();
    }

    /**
     * Applies each payload as a no-op with its seq, in the store's transaction; the first time, the payloads to
     * publish with it throw a {@link StackOverflowError} after the applied seq was written in that transaction.
     */
    private final class FailingOnceReceiver implements Receiver {

        final List<Long> applied = new CopyOnWriteArrayList<>();
        private final AtomicBoolean failed = new AtomicBoolean();

        @Override
        public void welcomed(Welcome welcome) {
        }

        @Override
        public void apply(Envelope envelope, boolean unknownPayload) {
            List<Envelope> publish = failed.compareAndSet(false, true) ? new Overflowing() : List.of();
            store.applyNoOp(envelope.getSeq(), publish);
            applied.add(envelope.getSeq());
        }

        @Override
        public void ignore(Envelope envelope, boolean unknownPayload) {
        }
    }

    /** One payload to publish, which cannot be read. */
    private static final class Overflowing extends AbstractList<Envelope> {

        @Override
        public Envelope get(int index) {
            throw new StackOverflowError("thrown by the test inside the transaction");
        }

        @Override
        public int size() {
            return 1;
        }
    }
}
