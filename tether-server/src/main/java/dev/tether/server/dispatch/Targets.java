package dev.tether.server.dispatch;

import dev.tether.server.dispatch.DispatchException.Reason;
import dev.tether.server.store.AgentStore.Candidate;
import dev.tether.server.store.AgentStore;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Turns a command's target into agents: ids or names (each must exist and not
 * be revoked; an agent named twice gets one job) or a selector over the agents'
 * server-assigned labels (revoked agents and agents not approved never match;
 * nothing matching is an error). Blocking; thread safe.
 */
final class Targets {

    /** One agent a job goes to. */
    record Target(String agentId, String agentName) {
    }

    private final AgentStore agents;

    Targets(AgentStore agents) {
        this.agents = agents;
    }

    /**
     * @throws DispatchException for an unknown or revoked agent, or a selector that matches nothing
     */
    List<Target> resolve(NewCommand command, Selector scope) {
        List<Candidate> all = agents.candidates();
        List<Target> targets = command.selector() != null ? select(command.selector(), all)
                : listed(command.agents(), all);
        if (scope != null) {
            Map<String, Candidate> byId = new HashMap<>();
            all.forEach(agent -> byId.put(agent.id(), agent));
            for (Target target : targets) {
                if (!scope.matches(byId.get(target.agentId()).labels())) {
                    throw new DispatchException(Reason.OUT_OF_SCOPE, "agent '" + target.agentName()
                            + "' is outside your scope (" + scope.text() + "): narrow the target to agents you reach");
                }
            }
        }
        return targets;
    }

    private static List<Target> select(Selector selector, List<Candidate> all) {
        List<Target> targets = new ArrayList<>();
        for (Candidate agent : all) {
            if (!agent.revoked() && agent.approval() == null && selector.matches(agent.labels())) {
                targets.add(new Target(agent.id(), agent.name()));
            }
        }
        if (targets.isEmpty()) {
            throw new DispatchException(Reason.NO_TARGETS, "the selector '" + selector.text()
                    + "' matches no agent: check the labels with GET /api/v1/agents (revoked agents and agents "
                    + "waiting for approval never match)");
        }
        return targets;
    }

    private static List<Target> listed(List<String> idsOrNames, List<Candidate> all) {
        Map<String, Candidate> byId = new HashMap<>();
        Map<String, Candidate> byName = new HashMap<>();
        for (Candidate agent : all) {
            byId.put(agent.id(), agent);
            byName.put(agent.name(), agent);
        }
        Map<String, Target> targets = new LinkedHashMap<>();
        for (String idOrName : idsOrNames) {
            Candidate agent = byId.getOrDefault(idOrName, byName.get(idOrName));
            if (agent == null) {
                throw new DispatchException(Reason.UNKNOWN_AGENT, "no agent with id or name '" + idOrName
                        + "': list agents with GET /api/v1/agents");
            }
            if (agent.revoked()) {
                throw new DispatchException(Reason.REVOKED_AGENT, "agent '" + agent.name()
                        + "' is revoked and cannot run commands");
            }
            if (agent.approval() != null) {
                throw new DispatchException(Reason.NOT_APPROVED, "agent '" + agent.name() + "' is "
                        + agent.approval() + " approval and cannot run commands: approve it first");
            }
            targets.putIfAbsent(agent.id(), new Target(agent.id(), agent.name()));
        }
        return List.copyOf(targets.values());
    }
}
