package dev.tether.server.dispatch;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A command as an operator asked for it, checked for form (the API does that,
 * with these limits); the {@link Dispatcher} resolves its targets.
 *
 * @param type {@code exec}, {@code health_check}, {@code config}, {@code self_update} or a custom type
 * @param argv exec only: the program and its arguments, not empty; empty for other types
 * @param env exec only: variables added to the agent's environment
 * @param cwd exec only: working directory, or null
 * @param paramsJson other types: their parameters as a JSON document, or null; for {@code config} an
 *     object with the new configuration under {@code "config"}
 * @param agents ids or names of the target agents, or null when {@link #selector} targets
 * @param selector label selector, or null when {@link #agents} targets
 * @param timeoutSeconds execution timeout, 0 for none
 * @param deadlineSeconds a job must start within this long after creation, 0 for no deadline
 * @param maxConcurrency jobs sent and not final at once, 0 for unlimited
 * @param maxErrors failures tolerated before held-back jobs are cancelled, -1 for unlimited
 * @param createdBy who asked, for the record
 */
public record NewCommand(
        String type,
        List<String> argv,
        Map<String, String> env,
        String cwd,
        String paramsJson,
        List<String> agents,
        Selector selector,
        long timeoutSeconds,
        long deadlineSeconds,
        int maxConcurrency,
        int maxErrors,
        String createdBy) {

    public static final String EXEC = "exec";
    public static final String CONFIG = "config";
    public static final String SELF_UPDATE = "self_update";
    public static final String HEALTH_CHECK = "health_check";
    public static final Duration MAX_TIMEOUT = Duration.ofDays(7);
    public static final Duration MAX_DEADLINE = Duration.ofDays(30);
    public static final int MAX_CONCURRENCY = 100_000;
    public static final int MAX_ERRORS = 100_000;
    /** Agents listed by id or name in one command at most. */
    public static final int MAX_LISTED_AGENTS = 10_000;

    public NewCommand {
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(createdBy, "createdBy");
        argv = List.copyOf(argv);
        env = Map.copyOf(env);
        agents = agents == null ? null : List.copyOf(agents);
        if ((agents == null) == (selector == null)) {
            throw new IllegalArgumentException("exactly one of agents and selector must be set");
        }
    }

    public boolean exec() {
        return EXEC.equals(type);
    }
}
