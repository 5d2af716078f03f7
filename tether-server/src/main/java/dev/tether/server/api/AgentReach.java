package dev.tether.server.api;

import dev.tether.server.store.AgentRecord;
import dev.tether.server.store.AgentStore;
import dev.tether.server.users.Principal;
import dev.tether.server.users.Role;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.Optional;

/**
 * The scope check for an action on agents already chosen (cancelling a command
 * or a job): a principal with a scope may act only when every agent touched is
 * inside it, by the agents' <em>server-assigned</em> labels. An agent that can
 * no longer be found is taken as outside any scope (fail closed).
 *
 * <p>Stateless; blocking (reads the agents), so call it on the database executor.
 */
final class AgentReach {

    private AgentReach() {
    }

    /** @throws ApiException 403 naming the first agent outside {@code principal}'s scope */
    static void require(Principal principal, AgentStore agents, Collection<String> agentIds, String action) {
        if (principal.scope() == null || principal.role() == Role.ADMIN) {
            return;
        }
        for (String agentId : new LinkedHashSet<>(agentIds)) {
            Optional<AgentRecord> agent = agents.find(agentId);
            if (agent.isEmpty() || !principal.reaches(agent.get().labels())) {
                String name = agent.map(AgentRecord::name).orElse(agentId);
                throw new ApiException(403, "forbidden", action + " touches agent " + name + ", outside "
                        + principal.name() + "'s scope (" + principal.scope().text() + "): ask an admin");
            }
        }
    }
}
