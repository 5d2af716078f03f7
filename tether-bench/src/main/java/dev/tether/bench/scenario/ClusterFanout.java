package dev.tether.bench.scenario;

import dev.tether.bench.report.Histogram;
import dev.tether.bench.server.AdminClient;
import dev.tether.bench.sim.EpochMicros;
import dev.tether.bench.sim.FleetSnapshot;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeoutException;

/**
 * Commands through one node (A) of the cluster, timed by the simulated agents as in {@link TetherFanout}: from
 * the API call (a wall-clock mark the bench calls at) to each CommandRequest's arrival and to each job's end on
 * record. A fan-out to every agent, and single-agent commands to idle agents held by another node (B): the
 * cross-node wake-up, where A's commit reaches B by PostgreSQL NOTIFY.
 *
 * <p>One command lists at most {@value #MAX_AGENTS_PER_COMMAND} agents, so a larger fan-out is that many
 * commands sent one after the other from the same mark. Stateless.
 */
final class ClusterFanout {

    /** The commands API's bound on agents per command. */
    static final int MAX_AGENTS_PER_COMMAND = 10_000;

    private ClusterFanout() {
    }

    /**
     * One fan-out.
     *
     * @param apiMillis the API calls' round trips, summed
     * @param crossNodeShare the share of the agents held by other nodes than the one called
     * @param delivery API call to each CommandRequest's arrival, microseconds
     * @param jobEnd API call to each job's end on record, microseconds
     * @param duplicates CommandRequests that arrived more than once
     */
    record Fanout(int agents, double apiMillis, double seconds, double crossNodeShare, Histogram delivery,
            Histogram jobEnd, long duplicates) {
    }

    /**
     * Single-agent commands to agents held by another node.
     *
     * @param delivery API call to the CommandRequest's arrival, microseconds, one per command
     */
    record Wakeups(String apiNode, String holderNode, int commands, Histogram delivery, Histogram jobEnd,
            long duplicates) {
    }

    /** Sends the commands for {@code ids} through {@code admin}, as many as the per-command bound needs. */
    static List<AdminClient.CreatedCommand> create(AdminClient admin, List<String> ids) throws IOException,
            InterruptedException {
        List<AdminClient.CreatedCommand> created = new ArrayList<>();
        for (int from = 0; from < ids.size(); from += MAX_AGENTS_PER_COMMAND) {
            List<String> chunk = ids.subList(from, Math.min(ids.size(), from + MAX_AGENTS_PER_COMMAND));
            created.add(admin.createCommand(chunk, TetherFanout.ARGV));
        }
        return created;
    }

    /** Sets the mark a little ahead on every generator and waits for it: call the API right after. */
    static void mark(ClusterFleet fleet) throws InterruptedException {
        long mark = EpochMicros.now() + TetherFanout.MARK_LEAD_MICROS;
        fleet.markCommands(mark);
        TetherFanout.waitUntil(mark);
    }

    /** One command to every agent in {@code ids} through node {@code apiNode}; waits until every job ended. */
    static Fanout fanout(BenchRun bench, AdminClient admin, String apiNode, ClusterFleet fleet, List<String> ids,
            Map<String, String> holders, Duration timeout) throws IOException, InterruptedException,
            TimeoutException {
        FleetSnapshot before = fleet.snapshot();
        mark(fleet);
        long start = System.nanoTime();
        List<AdminClient.CreatedCommand> created = create(admin, ids);
        long expected = before.jobsFinished() + ids.size();
        bench.await("fan-out to " + ids.size() + " agents: every job ended", timeout,
                () -> fleet.snapshot().jobsFinished() >= expected);
        double seconds = (System.nanoTime() - start) / 1e9;
        for (int i = 0; i < created.size(); i++) {
            int jobs = Math.min(MAX_AGENTS_PER_COMMAND, ids.size() - i * MAX_AGENTS_PER_COMMAND);
            TetherFanout.awaitSucceeded(bench, admin, created.get(i).id(), jobs);
        }
        FleetSnapshot after = fleet.snapshot();
        double api = created.stream().mapToDouble(AdminClient.CreatedCommand::roundTripMillis).sum();
        long crossNode = ids.stream().filter(id -> !apiNode.equals(holders.get(id))).count();
        return new Fanout(ids.size(), api, seconds, (double) crossNode / ids.size(),
                after.commandDelivery().since(before.commandDelivery()), after.jobEnd().since(before.jobEnd()),
                after.duplicatesFromServer() - before.duplicatesFromServer());
    }

    /**
     * {@code count} single-agent commands through node {@code apiNode}, one at a time, each to the next of
     * {@code targets} (agents held by {@code holderNode}), each after the previous one's job ended.
     */
    static Wakeups wakeups(BenchRun bench, AdminClient admin, String apiNode, String holderNode,
            ClusterFleet fleet, List<String> targets, int count, Duration timeout) throws IOException,
            InterruptedException, TimeoutException {
        FleetSnapshot before = fleet.snapshot();
        for (int i = 0; i < count; i++) {
            long finished = fleet.snapshot().jobsFinished();
            mark(fleet);
            String id = admin.createCommand(List.of(targets.get(i % targets.size())), TetherFanout.ARGV).id();
            bench.await("wake-up command " + id + " ended", timeout,
                    () -> fleet.snapshot().jobsFinished() > finished);
        }
        FleetSnapshot after = fleet.snapshot();
        return new Wakeups(apiNode, holderNode, count, after.commandDelivery().since(before.commandDelivery()),
                after.jobEnd().since(before.jobEnd()), after.duplicatesFromServer() - before.duplicatesFromServer());
    }
}
