package dev.tether.bench.sim;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.Future;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Many simulated agents in one process, spread over a few Netty event loops
 * (no thread per agent): connects them at a bounded rate, keeps them online
 * with heartbeats from one timer wheel per loop, publishes reliable events on
 * request, and reports a {@link FleetSnapshot}.
 *
 * <p>One process can hold at most its open-files limit in agents (see
 * {@code Preflight}); larger fleets are split over several generator
 * processes.
 *
 * <p>Thread safe: public methods hand work to the agents' loops.
 */
public final class Fleet implements AutoCloseable {

    private static final Duration SNAPSHOT_TIMEOUT = Duration.ofSeconds(30);
    private static final Duration CLOSE_GRACE = Duration.ofSeconds(5);

    private final FleetConfig config;
    private final EventLoopGroup group;
    private final List<AgentLoop> loops = new ArrayList<>();
    private final List<SimAgent> agents = new ArrayList<>();
    private final Ramp ramp;

    private Fleet(FleetConfig config, List<Credentials> credentials) {
        this.config = config;
        this.group = Transport.loops(config.eventLoops(), "sim-agents");
        Bootstrap bootstrap = Transport.client();
        Iterator<EventExecutor> executors = group.iterator();
        while (executors.hasNext()) {
            loops.add(new AgentLoop((EventLoop) executors.next(), this, config, bootstrap));
        }
        for (int i = 0; i < credentials.size(); i++) {
            AgentLoop home = loops.get(i % loops.size());
            SimAgent agent = new SimAgent(credentials.get(i), home, config.latencyWindow(), i);
            agents.add(agent);
            // Registered on the loop, which owns the list from now on.
            home.loop().execute(() -> home.agents.add(agent));
        }
        this.ramp = new Ramp(loops.get(0).loop(), config.rampPerSecond(), config.maxInFlight(), agents.size(),
                i -> agents.get(i).homeLoop().execute(() -> agents.get(i).dial(true)));
    }

    public static Fleet create(FleetConfig config, List<Credentials> credentials) {
        if (credentials.isEmpty()) {
            throw new IllegalArgumentException("a fleet needs at least one agent");
        }
        return new Fleet(config, credentials);
    }

    public int size() {
        return agents.size();
    }

    /** Starts dialling every agent at the configured ramp; returns at once. */
    public void connectAll() {
        connect(agents.size());
    }

    /**
     * Dials the first {@code count} agents (those not dialled yet) at the
     * configured ramp; returns at once. Agents stay connected, reconnecting
     * as needed, until {@link #close}.
     */
    public void connect(int count) {
        ramp.extendTo(count);
    }

    void releaseRampSlot() {
        ramp.finished();
    }

    /**
     * Each agent publishes {@code perAgent} events into its outbox, keeping at
     * most {@code pendingLimit} unacknowledged (more follow as acks arrive).
     */
    public void publish(long perAgent, long pendingLimit) {
        for (SimAgent agent : agents) {
            agent.homeLoop().execute(() -> agent.publish(perAgent, pendingLimit, config.runId()));
        }
    }

    /** Publishes on the first {@code count} agents only (the outbox scenario uses one). */
    public void publish(int count, long perAgent, long pendingLimit) {
        for (SimAgent agent : agents.subList(0, Math.min(count, agents.size()))) {
            agent.homeLoop().execute(() -> agent.publish(perAgent, pendingLimit, config.runId()));
        }
    }

    /**
     * Times the commands sent from now on: from {@code epochMicros} (when the caller sent them, see
     * {@link EpochMicros}) to each CommandRequest's arrival and to the ack of each job's end. Blocks until
     * every loop has the mark, so it is in place before the command can arrive.
     */
    public void markCommands(long epochMicros) {
        List<Future<?>> marked = new ArrayList<>();
        for (AgentLoop loop : loops) {
            marked.add(loop.loop().submit(() -> loop.stats.commandMarkMicros = epochMicros));
        }
        marked.forEach(Fleet::await);
    }

    /** Counters and histograms of the whole fleet, taken on each loop. */
    public FleetSnapshot snapshot() {
        List<Future<FleetSnapshot>> parts = new ArrayList<>();
        for (AgentLoop loop : loops) {
            parts.add(loop.loop().submit(() -> {
                FleetSnapshot.Builder part = new FleetSnapshot.Builder();
                loop.snapshotInto(part);
                return part.build();
            }));
        }
        List<FleetSnapshot> done = new ArrayList<>();
        for (Future<FleetSnapshot> part : parts) {
            done.add(await(part));
        }
        return FleetSnapshot.merge(done);
    }

    /** Closes every connection with 1000 and stops the loops. Blocks up to a few seconds. */
    @Override
    public void close() {
        ramp.stop();
        List<Future<?>> stopped = new ArrayList<>();
        for (AgentLoop loop : loops) {
            stopped.add(loop.loop().submit(() -> {
                loop.stopTimers();
                loop.agents.forEach(SimAgent::stop);
            }));
        }
        for (Future<?> f : stopped) {
            f.awaitUninterruptibly(CLOSE_GRACE.toMillis());
        }
        group.shutdownGracefully(100, CLOSE_GRACE.toMillis(), TimeUnit.MILLISECONDS)
                .awaitUninterruptibly(2 * CLOSE_GRACE.toMillis());
    }

    private static <T> T await(Future<T> future) {
        try {
            return future.get(SNAPSHOT_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while taking a fleet snapshot", e);
        } catch (ExecutionException | TimeoutException e) {
            throw new IllegalStateException("fleet snapshot failed: " + e, e);
        }
    }
}
