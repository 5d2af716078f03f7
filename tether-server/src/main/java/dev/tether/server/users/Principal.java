package dev.tether.server.users;

import dev.tether.server.dispatch.Selector;
import java.util.Map;

/**
 * Who makes a request: a user with a role and, for an operator, an optional
 * scope (a label selector the agents it may act on must match); or the
 * bootstrap admin token, which is {@code admin} with no scope.
 *
 * @param name the user's name, or {@code admin} for the admin token
 * @param scope null: every agent
 */
public record Principal(String name, Role role, Selector scope) {

    public static final Principal BOOTSTRAP_ADMIN = new Principal("admin", Role.ADMIN, null);

    public boolean may(Role needed) {
        return role.includes(needed);
    }

    /** Whether the principal may act on an agent with these server-assigned labels. */
    public boolean reaches(Map<String, String> labels) {
        return scope == null || role == Role.ADMIN || scope.matches(labels);
    }
}
