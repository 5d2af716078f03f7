package dev.tether.server.events;

import java.util.Set;

/**
 * Which events a reader of the stream wants: some types (all when empty) of one agent (any when null).
 * Immutable.
 */
public record EventFilter(Set<String> types, String agentId) {

    public static final EventFilter ALL = new EventFilter(Set.of(), null);

    public EventFilter {
        types = Set.copyOf(types);
    }

    public boolean matches(ServerEvent event) {
        return (types.isEmpty() || types.contains(event.type()))
                && (agentId == null || agentId.equals(event.agentId()));
    }
}
