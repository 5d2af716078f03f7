package dev.tether.agent.process;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * What the processes the agent starts (jobs, shells) get of it: its environment
 * less the agent key ({@code TETHER_AGENT_KEY} and any variable whose value is
 * the key are removed, so a job or a shell user cannot read the key there), and,
 * with {@code --run-as USER} ({@link RunAs}), another user: the command is
 * wrapped to switch to it, {@code HOME}, {@code USER}, {@code LOGNAME} and
 * {@code SHELL} are that user's, and a job without a working directory starts in
 * that user's home (else {@code /}) rather than in the agent's.
 *
 * <p>Thread safe: immutable.
 */
public final class ChildEnvironment {

    /** The variable the CLI reads the agent key from. */
    public static final String KEY_VARIABLE = "TETHER_AGENT_KEY";

    private final String agentKey;
    private final RunAs runAs;

    private ChildEnvironment(String agentKey, RunAs runAs) {
        this.agentKey = agentKey;
        this.runAs = runAs;
    }

    /**
     * @param agentKey removed from every child's environment
     * @param runAs the user children run as, or null for the agent's own
     */
    public static ChildEnvironment create(String agentKey, RunAs runAs) {
        return new ChildEnvironment(agentKey, runAs);
    }

    /** Children run as the agent's user. */
    public static ChildEnvironment create(String agentKey) {
        return new ChildEnvironment(agentKey, null);
    }

    /** The user children run as, or null for the agent's own. */
    public RunAs runAs() {
        return runAs;
    }

    /** The agent's environment made a child's (modified in place): the key removed, the user's variables set. */
    public void apply(Map<String, String> env) {
        removeKey(env, agentKey);
        if (runAs != null) {
            env.put("HOME", runAs.home());
            env.put("USER", runAs.user());
            env.put("LOGNAME", runAs.user());
            env.put("SHELL", runAs.shell());
        }
    }

    /** The command line that runs {@code argv} as the children's user. */
    public List<String> command(List<String> argv) {
        return runAs == null ? argv : runAs.command(argv);
    }

    /** As {@link #command}, for a child on a PTY. */
    public List<String> terminalCommand(List<String> argv) {
        return runAs == null ? argv : runAs.terminalCommand(argv);
    }

    /** Where a job that names no working directory starts: null (the agent's) without run-as. */
    public Path defaultDirectory() {
        if (runAs == null) {
            return null;
        }
        Path home = Path.of(runAs.home());
        return Files.isDirectory(home) ? home : Path.of("/");
    }

    /** Removes the key from {@code env} (modified in place) wherever it appears. */
    public static void removeKey(Map<String, String> env, String agentKey) {
        env.remove(KEY_VARIABLE);
        if (agentKey != null && !agentKey.isEmpty()) {
            env.values().removeIf(agentKey::equals);
        }
    }
}
