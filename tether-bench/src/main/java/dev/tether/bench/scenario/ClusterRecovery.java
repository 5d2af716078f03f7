package dev.tether.bench.scenario;

import dev.tether.bench.peer.ThrowawayPostgres;
import dev.tether.bench.report.Histogram;
import dev.tether.bench.server.AdminClient;
import dev.tether.bench.sim.FleetSnapshot;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * One node killed with SIGKILL in the middle of a fan-out to every agent: the command goes through node A, the
 * victim is another node, killed {@code killAfter} after the API call returned (the jobs are stored and being
 * sent). Then the timeline: by the agents' own count ({@link RecoveryWatch}, every 100 ms), when every agent was
 * online again and every job's end acknowledged; by the server's account (A's API, polled every
 * {@value #POLL_MILLIS} ms), when every agent was held by a surviving node and when every job had a final
 * state; in the database, when a survivor had swept the victim. And the verdict: jobs by state, the
 * CommandRequests the agents received (each exactly once) and the ones that arrived twice. Stateless.
 */
final class ClusterRecovery {

    private static final long POLL_MILLIS = 200;

    private ClusterRecovery() {
    }

    /**
     * Milliseconds are from the kill; -1 when it did not happen within the timeout.
     *
     * @param heldByVictim agents the victim held when it was killed
     * @param endedAtKill jobs already on record as ended when the victim died
     * @param leaseAgeAtKillMillis how old the victim's lease was just after the kill (in the database)
     * @param agentsOnlineMillis every agent online again, by the agents' own count (sampled every 100 ms)
     * @param jobsEndedMillis every job's end acknowledged to its agent (the end on record), by the agents' count
     * @param reHomedMillis the server confirms it: A's {@code /api/v1/agents} has every agent online, none on
     *     the victim (polled once the agents are all online, so no sooner than that)
     * @param leaseExpiredMillis a surviving node has swept the victim (its row in {@code nodes} is expired)
     * @param jobsFinalMillis the server confirms every job in a final state (polled once the agents saw every end)
     * @param jobStates the jobs by final (or last) state, on the server's account
     * @param received CommandRequests of this fan-out the agents applied
     * @param duplicates CommandRequests that arrived at an agent more than once
     * @param jobEnd API call to each job's end on record, microseconds (re-homing included)
     * @param samples the agents' view every 100 ms: ms from the kill, agents online, jobs of this fan-out ended
     */
    record Result(String victim, int agents, long heldByVictim, long endedAtKill, double apiMillis,
            long leaseAgeAtKillMillis, long agentsOnlineMillis, long jobsEndedMillis, long reHomedMillis,
            long leaseExpiredMillis, long jobsFinalMillis, Map<String, Long> jobStates, long received,
            long duplicates, Histogram jobEnd, List<Sample> samples) {

        /** Jobs that did not succeed: lost with the node, failed, or still open. */
        long notSucceeded() {
            return agents - jobStates.getOrDefault("succeeded", 0L);
        }

        boolean clean() {
            return reHomedMillis >= 0 && jobsFinalMillis >= 0 && duplicates == 0 && received == agents
                    && notSucceeded() == 0;
        }
    }

    /** The agents' view at one sample. */
    record Sample(long millis, int online, long jobsEnded) {
    }

    static Result run(BenchRun bench, BenchCluster cluster, ClusterFleet fleet, List<String> ids, int victimIndex,
            Duration killAfter, Duration timeout) throws IOException, InterruptedException {
        AdminClient admin = cluster.admin(bench, 0);
        String victim = cluster.name(victimIndex);
        long held = admin.agentHolders().values().stream().filter(victim::equals).count();
        FleetSnapshot before = fleet.snapshot();
        ClusterFanout.mark(fleet);
        List<AdminClient.CreatedCommand> created = ClusterFanout.create(admin, ids);
        Thread.sleep(killAfter.toMillis());
        cluster.node(victimIndex).kill();
        long killed = System.nanoTime();
        long killedAtMillis = System.currentTimeMillis();
        try (RecoveryWatch watch = RecoveryWatch.start(fleet, before, killed, ids.size())) {
            long endedAtKill = fleet.snapshot().jobsFinished() - before.jobsFinished();
            long leaseAge = leaseAge(cluster.postgres(), victim, killedAtMillis);
            bench.out().printf("killed %s (pid %d, %,d agents) with %,d of %,d jobs ended; its lease was %,d ms old%n",
                    victim, cluster.node(victimIndex).pid(), held, endedAtKill, ids.size(), leaseAge);
            long[] times = timeline(admin, cluster.postgres(), watch, victim, created, ids.size(), killed,
                    killedAtMillis, timeout);
            FleetSnapshot after = fleet.snapshot();
            double api = created.stream().mapToDouble(AdminClient.CreatedCommand::roundTripMillis).sum();
            return new Result(victim, ids.size(), held, endedAtKill, api, leaseAge, watch.reHomedMillis(),
                    watch.jobsEndedMillis(), times[0], times[1], times[2], states(admin, created),
                    after.commandsReceived() - before.commandsReceived(),
                    after.duplicatesFromServer() - before.duplicatesFromServer(),
                    after.jobEnd().since(before.jobEnd()), watch.samples());
        }
    }

    /**
     * The victim's lease age at the kill: the kill's time less its last renewal, as the database recorded it (same
     * host, same clock). Not {@code now - renewed_at} read afterwards, nor a node's {@code lease_age_ms}: on a
     * loaded machine that query runs seconds after the kill, and the age it reports grows by as much.
     */
    private static long leaseAge(ThrowawayPostgres postgres, String victim, long killedAtMillis)
            throws InterruptedException {
        try {
            return postgres.query("SELECT renewed_at FROM nodes WHERE name = '" + victim + "'").stream()
                    .mapToLong(renewed -> killedAtMillis - Long.parseLong(renewed)).findFirst().orElse(-1);
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }

    /** Server-confirmed re-homed, lease expired and jobs final, in ms from the kill (-1: not within the timeout). */
    private static long[] timeline(AdminClient admin, ThrowawayPostgres postgres, RecoveryWatch watch, String victim,
            List<AdminClient.CreatedCommand> created, int agents, long killed, long killedAtMillis, Duration timeout)
            throws InterruptedException {
        long[] times = {-1, -1, -1};
        long deadline = killed + timeout.toNanos();
        while (System.nanoTime() < deadline && (times[0] < 0 || times[1] < 0 || times[2] < 0)) {
            long now = System.nanoTime();
            if (times[0] < 0 && watch.reHomedMillis() >= 0 && reHomed(admin, victim, agents)) {
                times[0] = (System.nanoTime() - killed) / 1_000_000;
            }
            if (times[1] < 0 && swept(postgres, victim)) {
                times[1] = sweptAt(postgres, victim, killedAtMillis) - killedAtMillis;
            }
            if (times[2] < 0 && watch.jobsEndedMillis() >= 0 && jobsFinal(admin, created, agents)) {
                times[2] = (System.nanoTime() - killed) / 1_000_000;
            }
            Thread.sleep(Math.max(1, POLL_MILLIS - (System.nanoTime() - now) / 1_000_000));
        }
        return times;
    }

    private static boolean reHomed(AdminClient admin, String victim, int agents) throws InterruptedException {
        try {
            Map<String, String> holders = admin.agentHolders();
            return holders.size() >= agents && !holders.containsValue(victim);
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    /** Whether a node has swept the victim (its agents taken offline), read in the database. */
    private static boolean swept(ThrowawayPostgres postgres, String victim) throws InterruptedException {
        try {
            // A swept node's row stays (expired) for a while; a missing row counts as swept too.
            return postgres.query("SELECT expired FROM nodes WHERE name = '" + victim + "'").stream()
                    .allMatch(expired -> !expired.equals("0"));
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    /** When the sweep's first {@code agent.offline} event for the victim's agents was written (epoch ms). */
    private static long sweptAt(ThrowawayPostgres postgres, String victim, long killedAtMillis)
            throws InterruptedException {
        try {
            return postgres.query("SELECT MIN(created_at) FROM server_events WHERE type = 'agent.offline' AND "
                    + "created_at >= " + killedAtMillis + " AND payload LIKE '%\"node\":\"" + victim + "\"%'")
                    .stream().mapToLong(Long::parseLong).findFirst().orElse(System.currentTimeMillis());
        } catch (IOException | RuntimeException e) {
            return System.currentTimeMillis();
        }
    }

    private static boolean jobsFinal(AdminClient admin, List<AdminClient.CreatedCommand> created, int agents)
            throws InterruptedException {
        try {
            Map<String, Long> states = states(admin, created);
            long ended = ChaosVerdict.FINAL_JOB_STATES.stream().mapToLong(s -> states.getOrDefault(s, 0L)).sum();
            return ended >= agents;
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    /** Jobs by state over the commands, from the server's {@code counts}. */
    private static Map<String, Long> states(AdminClient admin, List<AdminClient.CreatedCommand> created)
            throws IOException, InterruptedException {
        Map<String, Long> states = new TreeMap<>();
        for (AdminClient.CreatedCommand command : created) {
            Map<?, ?> counts = (Map<?, ?>) admin.command(command.id()).get("counts");
            counts.forEach((state, n) -> states.merge((String) state, ((Number) n).longValue(), Long::sum));
        }
        states.values().removeIf(n -> n == 0);
        return states;
    }
}
