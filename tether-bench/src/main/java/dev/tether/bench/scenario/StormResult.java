package dev.tether.bench.scenario;

import dev.tether.bench.sim.FleetSnapshot;
import java.time.Duration;
import java.util.Map;
import java.util.TreeMap;

/**
 * Everything the storm measured.
 *
 * @param before the fleet online, before the kill
 * @param down the fleet with the server dead and the events published
 * @param after the fleet when recovery completed or timed out
 * @param complete every agent online with nothing pending before the timeout
 * @param serverStartupSeconds restart command to {@code /readyz}
 * @param serverMetrics {@code /metrics} of the restarted server at the end
 */
record StormResult(int agents, int pending, int inFlight, Duration interval, Duration backoffInitial,
        Duration backoffMax, FleetSnapshot before,
        FleetSnapshot down, FleetSnapshot after, boolean complete, Recovery recovery, double serverStartupSeconds,
        Verification verification, Map<String, Double> serverMetrics) {

    /** Events the server acknowledged before the crash and did not remember after it. */
    long lostAfterAck() {
        return after.ackRegressions() - before.ackRegressions();
    }

    /** Events still unacknowledged when the run stopped waiting. */
    long unapplied() {
        return after.pending();
    }

    long lost() {
        return lostAfterAck() + unapplied() + verification.missing();
    }

    double onlineSeconds() {
        return recovery.secondsSinceRestart(after.lastWelcomeNanos());
    }

    double appliedSeconds() {
        return complete ? Math.max(onlineSeconds(), recovery.secondsSinceRestart(after.lastDrainNanos()))
                : Double.NaN;
    }

    /** Failed connection attempts during the recovery, by cause. */
    Map<String, Long> recoveryFailures() {
        Map<String, Long> delta = new TreeMap<>();
        after.failures().forEach((cause, count) -> {
            long d = count - down.failures().getOrDefault(cause, 0L);
            if (d > 0) {
                delta.put(cause, d);
            }
        });
        return delta;
    }
}
