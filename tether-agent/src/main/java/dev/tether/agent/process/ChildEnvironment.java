package dev.tether.agent.process;

import java.util.Map;

/**
 * What the processes the agent starts (jobs, shells) inherit of its environment:
 * everything but the agent key. {@code TETHER_AGENT_KEY} and any variable whose
 * value is the key are removed, so a job or a shell user cannot read the key.
 */
public final class ChildEnvironment {

    /** The variable the CLI reads the agent key from. */
    public static final String KEY_VARIABLE = "TETHER_AGENT_KEY";

    private ChildEnvironment() {
    }

    /** Removes the key from {@code env} (modified in place) wherever it appears. */
    public static void removeKey(Map<String, String> env, String agentKey) {
        env.remove(KEY_VARIABLE);
        if (agentKey != null && !agentKey.isEmpty()) {
            env.values().removeIf(agentKey::equals);
        }
    }
}
