package dev.tether.server.api;

import dev.tether.server.users.Role;
import io.vertx.core.http.HttpMethod;
import java.util.regex.Pattern;

/**
 * The role each endpoint needs: reading anything is {@code viewer}; running and
 * cancelling commands (and opening shells, checked by the shell endpoint) is
 * {@code operator}; a user's own tokens are theirs; every other change (agents,
 * keys, configuration, enrollment tokens, approvals, users) is {@code admin}, and
 * so is reading an agent's quarantined payloads or a backup.
 * Scopes (which agents an operator reaches) are checked where the agents are
 * known. Stateless.
 */
final class Permissions {

    private static final Pattern OPERATOR = Pattern.compile(
            "^/api/v1/(commands|commands/[^/]+/cancel|jobs/[^/]+/cancel)$");
    /**
     * Reads only an admin may make: quarantined payloads may hold job results and output; a backup holds
     * everything.
     */
    private static final Pattern ADMIN_READS = Pattern.compile("^/api/v1/(agents/[^/]+/quarantine|backup)$");
    private static final Pattern OWN = Pattern.compile("^/api/v1/(tokens|tokens/[^/]+/revoke|session)$");

    private Permissions() {
    }

    static Role required(HttpMethod method, String path) {
        if (method == HttpMethod.GET || method == HttpMethod.HEAD || method == HttpMethod.OPTIONS) {
            return ADMIN_READS.matcher(path).matches() ? Role.ADMIN : Role.VIEWER;
        }
        if (OWN.matcher(path).matches()) {
            return Role.VIEWER;
        }
        return OPERATOR.matcher(path).matches() ? Role.OPERATOR : Role.ADMIN;
    }
}
