package dev.tether.server.dispatch;

import dev.tether.server.events.EventLog;
import dev.tether.server.events.ServerEvent;
import dev.tether.server.store.Dialect;
import dev.tether.server.store.OutboxTails;
import io.vertx.core.json.JsonObject;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * What one transaction changed that others must hear about: the server events
 * it stores (with {@link #writeEventsIn}, its last statement), and, once it
 * committed, the agents whose outbox grew, the commands to reconcile or whose
 * followers to wake, and metrics; and the outbox rows it appended, which go to
 * the agents' {@link OutboxTails tails} before the agents are woken. Created
 * inside the transaction's work, so a transaction that runs again starts from
 * an empty one.
 *
 * <p>Not thread safe: owned by the thread running the transaction, then handed
 * to {@link Dispatcher#committed}.
 */
public final class AfterCommit {

    private final List<ServerEvent> events = new ArrayList<>();
    private final Set<String> agentsToWake = new LinkedHashSet<>();
    private final Set<String> commandsToReconcile = new LinkedHashSet<>();
    private final Set<String> commandsChanged = new LinkedHashSet<>();
    private final Map<JobState, Integer> finalTransitions = new EnumMap<>(JobState.class);
    private final Map<String, Integer> ignoredJobEvents = new TreeMap<>();
    private int commandsCreated;
    private final OutboxTails.Appends outboxAppends;

    /** @param tails told of every outbox row the transaction appends or rewrites */
    public AfterCommit(OutboxTails tails) {
        this.outboxAppends = tails.appends();
    }

    /** A job moved to {@code to}: a {@code job.state} event, and its command's followers and reconcile. */
    void jobChanged(JobKey job, JobState to, Integer exitCode, String error, long nowMillis) {
        events.add(ServerEvent.create(ServerEvent.JOB_STATE, job.agentId(), new JsonObject()
                .put("job_id", job.id())
                .put("command_id", job.commandId())
                .put("agent_id", job.agentId())
                .put("state", to.wire())
                .put("exit_code", exitCode)
                .put("error", error)
                .put("at", Instant.ofEpochMilli(nowMillis).toString()), nowMillis));
        commandsChanged.add(job.commandId());
        if (to.isFinal()) {
            finalTransitions.merge(to, 1, Integer::sum);
            commandsToReconcile.add(job.commandId());
        }
    }

    /**
     * A {@code command.state} event.
     *
     * @param jobCount the number of jobs when created, else null
     * @param counts job counts by state when it finished, else null
     */
    void commandState(CommandRecord command, CommandRecord.State state, boolean finished, Integer jobCount,
            Map<JobState, Long> counts, long nowMillis) {
        JsonObject payload = new JsonObject()
                .put("command_id", command.id())
                .put("type", command.type())
                .put("state", state.wire())
                .put("finished", finished)
                .put("at", Instant.ofEpochMilli(nowMillis).toString());
        if (jobCount != null) {
            payload.put("job_count", jobCount);
        }
        if (counts != null) {
            payload.put("counts", countsJson(counts));
        }
        events.add(ServerEvent.create(ServerEvent.COMMAND_STATE, null, payload, nowMillis));
        commandsChanged.add(command.id());
    }

    /** Job counts as the API shows them: every state, by its wire name. */
    public static JsonObject countsJson(Map<JobState, Long> counts) {
        JsonObject json = new JsonObject();
        for (JobState state : JobState.values()) {
            json.put(state.wire(), counts.getOrDefault(state, 0L));
        }
        return json;
    }

    void outputAdded(String commandId) {
        commandsChanged.add(commandId);
    }

    /** Something was appended to the agent's outbox. */
    void wake(String agentId) {
        agentsToWake.add(agentId);
    }

    void reconcile(String commandId) {
        commandsToReconcile.add(commandId);
    }

    void commandChanged(String commandId) {
        commandsChanged.add(commandId);
    }

    void commandCreated() {
        commandsCreated++;
    }

    /** A job event that changed nothing, by reason ({@code final}, {@code unknown_job}, ...). */
    void ignored(String reason) {
        ignoredJobEvents.merge(reason, 1, Integer::sum);
    }

    public void event(ServerEvent event) {
        events.add(event);
    }

    /** Stores the collected events; must be the transaction's last statement (see {@link EventLog}). */
    public void writeEventsIn(Connection connection, Dialect dialect) throws SQLException {
        EventLog.insertIn(connection, dialect, events);
    }

    /** Report every outbox append and rewrite of the transaction here. */
    OutboxTails.Appends outboxAppends() {
        return outboxAppends;
    }

    boolean hasEvents() {
        return !events.isEmpty();
    }

    Set<String> agentsToWake() {
        return agentsToWake;
    }

    Set<String> commandsToReconcile() {
        return commandsToReconcile;
    }

    Set<String> commandsChanged() {
        return commandsChanged;
    }

    Map<JobState, Integer> finalTransitions() {
        return finalTransitions;
    }

    Map<String, Integer> ignoredJobEvents() {
        return ignoredJobEvents;
    }

    int commandsCreated() {
        return commandsCreated;
    }
}
