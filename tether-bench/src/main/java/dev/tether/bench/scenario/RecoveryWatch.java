package dev.tether.bench.scenario;

import dev.tether.bench.sim.FleetSnapshot;
import java.util.ArrayList;
import java.util.List;

/**
 * The agents' own view of a recovery, sampled every {@value #SAMPLE_MILLIS} ms on a thread of its own (the
 * fleet's snapshots are cheap; the server's API may answer slowly while it recovers, and must not set the
 * timeline's resolution): agents online, and jobs of the fan-out whose end the server acknowledged.
 *
 * <p>Thread safe: the sampling thread writes under {@code this}, readers read under it.
 */
final class RecoveryWatch implements AutoCloseable {

    private static final long SAMPLE_MILLIS = 100;

    private final ClusterFleet fleet;
    private final long baseJobs;
    private final long killedNanos;
    private final int jobs;
    private final Thread thread;
    /** Guarded by this. */
    private final List<ClusterRecovery.Sample> samples = new ArrayList<>();
    /** Guarded by this: ms from the kill, -1 until seen. */
    private long droppedMillis = -1;
    private long reHomedMillis = -1;
    private long jobsEndedMillis = -1;

    private RecoveryWatch(ClusterFleet fleet, FleetSnapshot before, long killedNanos, int jobs) {
        this.fleet = fleet;
        this.baseJobs = before.jobsFinished();
        this.killedNanos = killedNanos;
        this.jobs = jobs;
        this.thread = Thread.ofPlatform().daemon().name("recovery-watch").unstarted(this::loop);
    }

    /** Starts sampling; {@code before} is the fleet before the fan-out, {@code jobs} the fan-out's size. */
    static RecoveryWatch start(ClusterFleet fleet, FleetSnapshot before, long killedNanos, int jobs) {
        RecoveryWatch watch = new RecoveryWatch(fleet, before, killedNanos, jobs);
        watch.thread.start();
        return watch;
    }

    private void loop() {
        try {
            while (!Thread.currentThread().isInterrupted()) {
                sample();
                Thread.sleep(SAMPLE_MILLIS);
            }
        } catch (InterruptedException e) {
            // Closed.
        }
    }

    private void sample() {
        FleetSnapshot now = fleet.snapshot();
        long millis = (System.nanoTime() - killedNanos) / 1_000_000;
        long ended = now.jobsFinished() - baseJobs;
        synchronized (this) {
            samples.add(new ClusterRecovery.Sample(millis, now.online(), ended));
            if (now.online() < fleet.size() && droppedMillis < 0) {
                droppedMillis = millis;
            }
            if (droppedMillis >= 0 && reHomedMillis < 0 && now.online() >= fleet.size()) {
                reHomedMillis = millis;
            }
            if (jobsEndedMillis < 0 && ended >= jobs) {
                jobsEndedMillis = millis;
            }
        }
    }

    /** When every agent was online again after the kill dropped some, ms from the kill; -1 not yet. */
    synchronized long reHomedMillis() {
        return reHomedMillis;
    }

    /** When every job's end was acknowledged to its agent, ms from the kill; -1 not yet. */
    synchronized long jobsEndedMillis() {
        return jobsEndedMillis;
    }

    synchronized List<ClusterRecovery.Sample> samples() {
        return List.copyOf(samples);
    }

    @Override
    public void close() {
        thread.interrupt();
        try {
            thread.join(5_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
