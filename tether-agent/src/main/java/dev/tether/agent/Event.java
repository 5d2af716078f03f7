package dev.tether.agent;

import java.util.Objects;

/**
 * An event to publish with {@link Agent#publishEvents}.
 *
 * @param type 1 to {@link dev.tether.protocol.Limits#MAX_EVENT_TYPE_LENGTH} characters of
 *     {@code [A-Za-z0-9._-]}, e.g. {@code backup.completed}
 * @param json a well-formed JSON document
 */
public record Event(String type, String json) {

    public Event {
        Objects.requireNonNull(type, "event type");
        Objects.requireNonNull(json, "event json");
    }
}
