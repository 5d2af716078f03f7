package dev.tether.agent.jobs;

import dev.tether.agent.CommandHandler;
import dev.tether.agent.JobResult;
import dev.tether.protocol.Limits;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentSkipListMap;

/**
 * Which command types this agent runs: the built-ins ({@link #EXEC},
 * {@link #HEALTH_CHECK}, {@link #CONFIG}, {@link #SELF_UPDATE}), whose names are
 * reserved, and the custom types registered through the SDK. Advertised in every
 * Hello as capabilities {@code cmd:<type>}.
 *
 * <p>Thread safe: the custom handlers live in a concurrent map; a type
 * registered while connected is advertised from the next connection on.
 */
final class CommandRegistry {

    static final String EXEC = "exec";
    static final String HEALTH_CHECK = "health_check";
    static final String CONFIG = "config";
    static final String SELF_UPDATE = "self_update";
    static final String CAPABILITY_PREFIX = "cmd:";

    private final Map<String, JobWork> builtIns;
    private final Map<String, JobWork> custom = new ConcurrentSkipListMap<>();

    /** @param builtIns the built-in types, in the order they are advertised */
    CommandRegistry(Map<String, JobWork> builtIns) {
        this.builtIns = Map.copyOf(builtIns);
    }

    /**
     * @throws IllegalArgumentException when the type is not a valid name, is built in, or is already registered
     */
    void register(String type, CommandHandler handler) {
        Objects.requireNonNull(handler, "handler");
        checkType(type);
        if (builtIns.containsKey(type)) {
            throw new IllegalArgumentException("command type '" + type + "' is built in; choose another name, "
                    + "e.g. with a prefix of your own like myapp." + type);
        }
        if (custom.putIfAbsent(type, new Custom(handler)) != null) {
            throw new IllegalArgumentException("command type '" + type + "' is already registered");
        }
    }

    /** The work of a type, null when this agent does not know it. */
    JobWork work(String type) {
        JobWork work = builtIns.get(type);
        return work != null ? work : custom.get(type);
    }

    List<String> capabilities() {
        List<String> capabilities = new ArrayList<>();
        for (String type : List.of(EXEC, HEALTH_CHECK, CONFIG, SELF_UPDATE)) {
            if (builtIns.containsKey(type)) {
                capabilities.add(CAPABILITY_PREFIX + type);
            }
        }
        custom.keySet().forEach(type -> capabilities.add(CAPABILITY_PREFIX + type));
        return capabilities;
    }

    /** Same rules as event types: 1 to 128 characters of {@code [A-Za-z0-9._-]}. */
    static void checkType(String type) {
        if (type == null || type.isEmpty()) {
            throw new IllegalArgumentException("command type is empty; use a dotted name like backup.run");
        }
        if (type.length() > Limits.MAX_EVENT_TYPE_LENGTH) {
            throw new IllegalArgumentException("command type is " + type.length() + " characters long; the limit is "
                    + Limits.MAX_EVENT_TYPE_LENGTH);
        }
        for (int i = 0; i < type.length(); i++) {
            char c = type.charAt(i);
            boolean allowed = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
                    || c == '.' || c == '_' || c == '-';
            if (!allowed) {
                throw new IllegalArgumentException("command type '" + type + "' has '" + c + "' at position " + i
                        + "; use only letters, digits, '.', '_' and '-'");
            }
        }
    }

    /** An SDK handler: reports its start with pid 0 and is interrupted on cancel. */
    private record Custom(CommandHandler handler) implements JobWork {

        @Override
        public JobResult run(LiveJob job) throws Exception {
            JobResult result = handler.run(job);
            if (result == null) {
                throw new IllegalStateException("the handler returned no JobResult");
            }
            return result;
        }

        @Override
        public boolean interruptible() {
            return true;
        }
    }
}
