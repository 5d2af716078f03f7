package dev.tether.agent.events;

import com.google.protobuf.ByteString;
import dev.tether.agent.json.Json;
import dev.tether.protocol.Limits;
import dev.tether.protocol.v1.AgentEvent;
import dev.tether.protocol.v1.Envelope;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Agent events: the rules for a valid event, and the lifecycle events the agent
 * publishes itself. An event travels as a reliable {@link AgentEvent}.
 */
public final class AgentEvents {

    /** Published at every process start: {@code {"version": "...", "boot_id": "..."}}. */
    public static final String STARTED = "agent.started";
    /** Published on graceful shutdown: {@code {}}. */
    public static final String STOPPING = "agent.stopping";
    /** Published after a configuration was applied: {@code {"version": N}}. */
    public static final String CONFIG_APPLIED = "agent.config_applied";

    /**
     * Largest event payload, in UTF-8 bytes: the frame limit less room for the
     * envelope around it (type, seqs, timestamps), so every event fits one frame.
     */
    public static final int MAX_PAYLOAD_BYTES = Limits.MAX_FRAME_BYTES - 1024;

    private AgentEvents() {
    }

    /**
     * A validated event, ready for the outbox.
     *
     * @throws IllegalArgumentException naming what is wrong with the type or the JSON
     */
    public static Envelope envelope(String type, String json, long occurredMs) {
        checkType(type);
        return built(type, checkPayload(type, json), occurredMs);
    }

    /**
     * An event of the agent's own, its payload written by {@link Json#object}: well-formed by construction, so not
     * parsed again (the parser is Jackson's, which an agent that only starts and idles then never loads).
     */
    private static Envelope trusted(String type, String json, long occurredMs) {
        return built(type, json.getBytes(StandardCharsets.UTF_8), occurredMs);
    }

    private static Envelope built(String type, byte[] payload, long occurredMs) {
        return Envelope.newBuilder()
                .setAgentEvent(AgentEvent.newBuilder()
                        .setType(type)
                        .setPayloadJson(ByteString.copyFrom(payload))
                        .setOccurredMs(occurredMs))
                .build();
    }

    public static void checkType(String type) {
        if (type == null || type.isEmpty()) {
            throw new IllegalArgumentException("event type is empty; use a dotted name like backup.completed");
        }
        if (type.length() > Limits.MAX_EVENT_TYPE_LENGTH) {
            throw new IllegalArgumentException("event type is " + type.length() + " characters long; the limit is "
                    + Limits.MAX_EVENT_TYPE_LENGTH);
        }
        for (int i = 0; i < type.length(); i++) {
            char c = type.charAt(i);
            boolean allowed = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
                    || c == '.' || c == '_' || c == '-';
            if (!allowed) {
                throw new IllegalArgumentException("event type '" + printable(type) + "' has '" + printable(
                        String.valueOf(c)) + "' at position " + i + "; use only letters, digits, '.', '_' and '-'");
            }
        }
    }

    private static byte[] checkPayload(String type, String json) {
        if (json == null) {
            throw new IllegalArgumentException("event " + type + " has no JSON payload; use {} for none");
        }
        byte[] utf8 = json.getBytes(StandardCharsets.UTF_8);
        if (utf8.length > MAX_PAYLOAD_BYTES) {
            throw new IllegalArgumentException("event " + type + " has a payload of " + utf8.length
                    + " bytes; the limit is " + MAX_PAYLOAD_BYTES);
        }
        String problem = Json.problem(utf8);
        if (problem != null) {
            throw new IllegalArgumentException("event " + type + " payload is not well-formed JSON: " + problem);
        }
        return utf8;
    }

    private static String printable(String s) {
        StringBuilder out = new StringBuilder();
        s.codePoints().limit(64).forEach(cp -> {
            if (Character.isISOControl(cp)) {
                out.append(String.format("\\u%04x", cp));
            } else {
                out.appendCodePoint(cp);
            }
        });
        return out.toString();
    }

    public static Envelope started(String version, String bootId, long nowMs) {
        Map<String, Object> fields = new LinkedHashMap<>();
        fields.put("version", version);
        fields.put("boot_id", bootId);
        return trusted(STARTED, Json.object(fields), nowMs);
    }

    public static Envelope stopping(long nowMs) {
        return trusted(STOPPING, "{}", nowMs);
    }

    public static Envelope configApplied(long version, long nowMs) {
        return trusted(CONFIG_APPLIED, Json.object(Map.of("version", version)), nowMs);
    }
}
