package dev.tether.server.text;

import com.google.protobuf.ByteString;
import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.Message;
import dev.tether.protocol.v1.AgentEvent;
import dev.tether.protocol.v1.Envelope;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Makes the text an agent supplies storable anywhere: every {@code string}
 * field of a message (nested messages and map entries included) and every
 * {@code bytes} field whose name ends in {@code _json} (JSON documents kept as
 * text) has NUL replaced by U+FFFD, and so has each unpaired UTF-16 surrogate;
 * a {@code _json} field's invalid UTF-8 becomes U+FFFD too. PostgreSQL refuses
 * NUL in {@code TEXT} (SQLSTATE 22021), so one such character in a job's error
 * used to fail its apply on every replay and stop the agent's stream. Other
 * {@code bytes} (job and shell output) are stored as bytes and left alone.
 *
 * <p>Stateless and thread safe. A message with nothing to replace is returned
 * as it is, without copying.
 */
public final class AgentText {

    /** What NUL and unpaired surrogates become. */
    public static final char REPLACEMENT = '\uFFFD';
    private static final String JSON_SUFFIX = "_json";

    private AgentText() {
    }

    /**
     * Payloads that carry no text the server keeps: heartbeats (numbers), shell output and credit (bytes, a
     * count) and bare acks. They are the per-frame hot path, so they are not walked at all.
     */
    private static final Set<Envelope.PayloadCase> WITHOUT_TEXT = EnumSet.of(Envelope.PayloadCase.HEARTBEAT,
            Envelope.PayloadCase.SHELL_OUTPUT, Envelope.PayloadCase.SHELL_CREDIT, Envelope.PayloadCase.ACK_ONLY);

    /** An envelope from an agent with its text made storable; one without text as it came. */
    public static Envelope sanitiseFromAgent(Envelope envelope) {
        if (WITHOUT_TEXT.contains(envelope.getPayloadCase())) {
            return envelope;
        }
        if (envelope.hasAgentEvent() && cleanEvent(envelope)) {
            return envelope;
        }
        return sanitise(envelope);
    }

    /**
     * Whether an event's envelope has nothing to replace, checked field by field instead of walking the message
     * by reflection (every event takes this path): its text is the envelope's {@code correlation_id}, the
     * event's {@code type} and {@code payload_json} ({@link #TEXT_OF_EVENTS} names them; a test holds it to the
     * schema). Unknown fields are not walked either way.
     */
    private static boolean cleanEvent(Envelope envelope) {
        AgentEvent event = envelope.getAgentEvent();
        return firstBad(envelope.getCorrelationId()) < 0 && firstBad(event.getType()) < 0
                && sanitiseJson(event.getPayloadJson()) == event.getPayloadJson();
    }

    /** The text fields {@link #cleanEvent} checks: of Envelope outside its payload, and of AgentEvent. */
    static final Set<String> TEXT_OF_EVENTS = Set.of("tether.v1.Envelope.correlation_id",
            "tether.v1.AgentEvent.type", "tether.v1.AgentEvent.payload_json");

    /** The message with its agent-supplied text made storable (see the class Javadoc). */
    @SuppressWarnings("unchecked")
    public static <M extends Message> M sanitise(M message) {
        Message.Builder builder = null;
        for (Map.Entry<FieldDescriptor, Object> field : message.getAllFields().entrySet()) {
            Object value = field.getValue();
            Object clean = field.getKey().isRepeated()
                    ? sanitiseList(field.getKey(), (List<?>) value)
                    : sanitiseValue(field.getKey(), value);
            if (clean != value) {
                builder = builder == null ? message.toBuilder() : builder;
                builder.setField(field.getKey(), clean);
            }
        }
        return builder == null ? message : (M) builder.build();
    }

    /** The text with NUL and unpaired surrogates replaced by U+FFFD; the same instance when there are none. */
    public static String sanitise(String text) {
        int bad = firstBad(text);
        if (bad < 0) {
            return text;
        }
        StringBuilder clean = new StringBuilder(text.length()).append(text, 0, bad);
        for (int i = bad; i < text.length(); i++) {
            char c = text.charAt(i);
            if (Character.isHighSurrogate(c) && i + 1 < text.length()
                    && Character.isLowSurrogate(text.charAt(i + 1))) {
                clean.append(c).append(text.charAt(++i));
            } else {
                clean.append(c == 0 || Character.isSurrogate(c) ? REPLACEMENT : c);
            }
        }
        return clean.toString();
    }

    /** The index of the first NUL or unpaired surrogate, or -1. */
    private static int firstBad(String text) {
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (Character.isHighSurrogate(c) && i + 1 < text.length()
                    && Character.isLowSurrogate(text.charAt(i + 1))) {
                i++;
            } else if (c == 0 || Character.isSurrogate(c)) {
                return i;
            }
        }
        return -1;
    }

    private static Object sanitiseList(FieldDescriptor field, List<?> values) {
        List<Object> clean = null;
        for (int i = 0; i < values.size(); i++) {
            Object value = values.get(i);
            Object cleanValue = sanitiseValue(field, value);
            if (cleanValue != value && clean == null) {
                clean = new ArrayList<>(values.subList(0, i));
            }
            if (clean != null) {
                clean.add(cleanValue);
            }
        }
        return clean == null ? values : clean;
    }

    private static Object sanitiseValue(FieldDescriptor field, Object value) {
        return switch (field.getJavaType()) {
            case STRING -> sanitise((String) value);
            case MESSAGE -> sanitise((Message) value);
            case BYTE_STRING -> field.getName().endsWith(JSON_SUFFIX) ? sanitiseJson((ByteString) value) : value;
            default -> value;
        };
    }

    /** JSON text kept as bytes: the same instance when it is valid UTF-8 without NUL. */
    private static ByteString sanitiseJson(ByteString json) {
        if (json.isValidUtf8() && !containsNul(json)) {
            return json;
        }
        return ByteString.copyFromUtf8(sanitise(json.toString(StandardCharsets.UTF_8)));
    }

    private static boolean containsNul(ByteString bytes) {
        for (int i = 0; i < bytes.size(); i++) {
            if (bytes.byteAt(i) == 0) {
                return true;
            }
        }
        return false;
    }
}
