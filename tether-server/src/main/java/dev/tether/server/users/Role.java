package dev.tether.server.users;

import java.util.Locale;

/**
 * What an operator may do. Each role includes the ones before it: a
 * {@code viewer} reads everything; an {@code operator} also runs commands,
 * cancels them and opens shells (within its scope, if it has one); an
 * {@code admin} also manages agents, keys, enrollment tokens, approvals,
 * configuration and users.
 */
public enum Role {
    VIEWER, OPERATOR, ADMIN;

    public boolean includes(Role needed) {
        return compareTo(needed) >= 0;
    }

    public String wire() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** @throws IllegalArgumentException naming the roles there are */
    public static Role parse(String text) {
        for (Role role : values()) {
            if (role.wire().equals(text)) {
                return role;
            }
        }
        throw new IllegalArgumentException("role must be viewer, operator or admin, was '" + text + "'");
    }
}
