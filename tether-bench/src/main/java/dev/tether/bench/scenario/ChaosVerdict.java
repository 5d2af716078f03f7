package dev.tether.bench.scenario;

import dev.tether.bench.server.AdminClient;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What {@code tether bench chaos} found, from the ledgers the agents and the
 * bench kept and what the server stored.
 *
 * <p>Events: every number an agent logged {@code ok} for (on disk in its outbox)
 * must be stored by the server exactly once; a number with only an
 * {@code intent} (the agent died while publishing it) at most once. Commands:
 * every job the API reported must end, and its line in the agent's job ledger
 * appear at most once, exactly once for a job that succeeded.
 *
 * @param eventsPublished events the agents logged as stored
 * @param eventsLost stored by an agent, never applied by the server
 * @param eventsDuplicated applied more than once (counted once per extra copy)
 * @param jobs jobs of the commands the API accepted
 * @param jobsUnfinished jobs that reached no final state
 * @param jobsRunTwice jobs whose command line appears more than once in the agent's ledger
 * @param jobsSucceededUnrun jobs reported succeeded whose line is missing
 * @param jobStates final states of the jobs, counted
 */
record ChaosVerdict(long eventsPublished, long eventsLost, long eventsDuplicated, long jobs, long jobsUnfinished,
        long jobsRunTwice, long jobsSucceededUnrun, Map<String, Integer> jobStates) {

    static final String EVENT_TYPE = "chaos.tick";
    /** The job states the server never leaves. */
    static final Set<String> FINAL_JOB_STATES = Set.of("succeeded", "failed", "cancelled", "expired", "lost",
            "timed_out");

    /**
     * One agent's events against its ledger.
     *
     * @param published numbers the agent logged {@code ok} for
     * @param lost of those, numbers the server never stored
     * @param duplicated extra copies the server stored, all numbers together
     */
    record AgentEvents(long published, long lost, long duplicated) {
    }

    boolean clean() {
        return eventsLost == 0 && eventsDuplicated == 0 && jobsUnfinished == 0 && jobsRunTwice == 0
                && jobsSucceededUnrun == 0;
    }

    /** Events the server applied for agent {@code i} versus its ledger. */
    static AgentEvents events(AdminClient admin, ChaosFleet fleet, int i) throws IOException, InterruptedException {
        Map<Long, Integer> applied = new HashMap<>();
        for (Map<String, Object> event : admin.events(fleet.agent(i).id(), EVENT_TYPE)) {
            Object payload = event.get("payload");
            if (payload instanceof Map<?, ?> map && map.get("n") instanceof Number n) {
                applied.merge(n.longValue(), 1, Integer::sum);
            }
        }
        Set<Long> ok = new HashSet<>();
        for (String line : lines(fleet.dir(i).resolve(ChaosFleet.EVENT_LEDGER))) {
            if (line.startsWith("ok ")) {
                ok.add(Long.parseLong(line.substring(3).trim()));
            }
        }
        long lost = ok.stream().filter(n -> !applied.containsKey(n)).count();
        long duplicated = applied.values().stream().mapToLong(count -> count - 1).sum();
        return new AgentEvents(ok.size(), lost, duplicated);
    }

    /**
     * @param commands bench token to command id, for every command the API accepted
     */
    static ChaosVerdict of(AdminClient admin, ChaosFleet fleet, Map<String, String> commands) throws IOException,
            InterruptedException {
        long published = 0;
        long lost = 0;
        long duplicated = 0;
        for (int i = 0; i < fleet.size(); i++) {
            AgentEvents counts = events(admin, fleet, i);
            published += counts.published();
            lost += counts.lost();
            duplicated += counts.duplicated();
        }
        Map<String, Map<String, Integer>> runs = new HashMap<>();
        for (int i = 0; i < fleet.size(); i++) {
            Map<String, Integer> lines = new HashMap<>();
            for (String line : lines(fleet.dir(i).resolve(ChaosFleet.COMMAND_LEDGER))) {
                lines.merge(line.trim(), 1, Integer::sum);
            }
            runs.put(fleet.agent(i).id(), lines);
        }
        long jobs = 0;
        long unfinished = 0;
        long twice = 0;
        long succeededUnrun = 0;
        Map<String, Integer> states = new HashMap<>();
        for (Map.Entry<String, String> command : commands.entrySet()) {
            for (Object o : (List<?>) admin.command(command.getValue()).get("jobs")) {
                Map<?, ?> job = (Map<?, ?>) o;
                String state = (String) job.get("state");
                String agent = (String) job.get("agent_id");
                int ran = runs.getOrDefault(agent, Map.of()).getOrDefault(command.getKey(), 0);
                jobs++;
                states.merge(state, 1, Integer::sum);
                if (!FINAL_JOB_STATES.contains(state)) {
                    unfinished++;
                }
                if (ran > 1) {
                    twice++;
                }
                if ("succeeded".equals(state) && ran == 0) {
                    succeededUnrun++;
                }
            }
        }
        // A token whose API call failed may still have been created: it must not have run twice either.
        for (Map<String, Integer> lines : runs.values()) {
            for (Map.Entry<String, Integer> line : lines.entrySet()) {
                if (!commands.containsKey(line.getKey()) && line.getValue() > 1) {
                    twice++;
                }
            }
        }
        return new ChaosVerdict(published, lost, duplicated, jobs, unfinished, twice, succeededUnrun, states);
    }

    private static List<String> lines(Path file) throws IOException {
        return Files.exists(file) ? Files.readAllLines(file, StandardCharsets.UTF_8) : List.of();
    }
}
