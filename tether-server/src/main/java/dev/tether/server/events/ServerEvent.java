package dev.tether.server.events;

import io.vertx.core.json.JsonObject;
import java.util.Set;

/**
 * One event of the server's event stream, as stored in {@code server_events}
 * and sent over {@code GET /api/v1/events}.
 *
 * <p>Types and their payloads (the SSE {@code data}, one JSON object):
 * <ul>
 *   <li>{@code agent.online} {agent_id, agent_name, at};</li>
 *   <li>{@code agent.offline} {agent_id, agent_name, code, at} (code: the WebSocket close code);</li>
 *   <li>{@code agent.event} {agent_id, type, payload, seq, occurred_at}: an event the agent published,
 *       as it was applied;</li>
 *   <li>{@code job.state} {job_id, command_id, agent_id, state, exit_code, error, at};</li>
 *   <li>{@code command.state} {command_id, type, state, at} plus {@code job_count} when created and
 *       {@code counts} when it ends.</li>
 * </ul>
 *
 * @param id the row id and SSE event id, increasing; 0 for an event not stored yet
 * @param agentId the agent it is about, or null (command events)
 * @param payload the JSON object, encoded on one line
 * @param createdAt epoch millis
 */
public record ServerEvent(long id, String type, String agentId, String payload, long createdAt) {

    public static final String AGENT_ONLINE = "agent.online";
    public static final String AGENT_OFFLINE = "agent.offline";
    public static final String AGENT_EVENT = "agent.event";
    public static final String JOB_STATE = "job.state";
    public static final String COMMAND_STATE = "command.state";
    public static final Set<String> TYPES = Set.of(AGENT_ONLINE, AGENT_OFFLINE, AGENT_EVENT, JOB_STATE, COMMAND_STATE);

    /** A new event to store; {@code payload} is encoded compactly, so it never spans lines. */
    public static ServerEvent create(String type, String agentId, JsonObject payload, long nowMillis) {
        return new ServerEvent(0, type, agentId, payload.encode(), nowMillis);
    }

    /** The event in {@code text/event-stream} framing. */
    public String sse() {
        return "id: " + id + "\nevent: " + type + "\ndata: " + payload + "\n\n";
    }
}
