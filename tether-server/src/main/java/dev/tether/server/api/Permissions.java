package dev.tether.server.api;

import dev.tether.server.users.Role;
import io.vertx.core.http.HttpMethod;
import java.util.regex.Pattern;

/**
 * The role each endpoint needs: reading anything is {@code viewer}; running and
 * cancelling commands (and opening shells, checked by the shell endpoint) is
 * {@code operator}; a user's own tokens are theirs; every other change (agents,
 * keys, configuration, enrollment tokens, approvals, users) is {@code admin}.
 * Scopes (which agents an operator reaches) are checked where the agents are
 * known. Stateless.
 */
final class Permissions {

    private static final Pattern OPERATOR = Pattern.compile(
            "^/api/v1/(commands|commands/[^/]+/cancel|jobs/[^/]+/cancel)$");
    private static final Pattern OWN = Pattern.compile("^/api/v1/(tokens|tokens/[^/]+/revoke|session)$");

    private Permissions() {
    }

    static Role required(HttpMethod method, String path) {
        if (method == HttpMethod.GET || method == HttpMethod.HEAD || method == HttpMethod.OPTIONS) {
            return Role.VIEWER;
        }
        if (OWN.matcher(path).matches()) {
            return Role.VIEWER;
        }
        return OPERATOR.matcher(path).matches() ? Role.OPERATOR : Role.ADMIN;
    }
}
