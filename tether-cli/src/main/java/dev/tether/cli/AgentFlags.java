package dev.tether.cli;

import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * The agent daemon's command line read without picocli, when it is a plain one. Picocli is compiled for Java 5,
 * so its classes cannot be in the agent package's AOT cache: an agent that parsed its command line with it loaded
 * some 170 classes and their annotations' proxies at every start, and kept them for as long as it ran, about
 * 3.5 MiB of an idle agent's memory (docs/decisions-agent-footprint.md).
 *
 * <p>{@link #parse} fills an {@link AgentCommand} as picocli would: the flags of the command line, else their
 * variables ({@code TETHER_AGENT_STATE_DIR}), else the {@code --config} file (or {@code $TETHER_AGENT_CONFIG}),
 * with {@link FlagDefaults}'s rules and picocli's conversions. When it cannot be sure to read what picocli reads
 * (help or version, a subcommand, an unknown, hidden or repeated flag, a value picocli could refuse or read
 * otherwise, a config file it would refuse) it returns null, and picocli parses the command line and reports what
 * is wrong, as it always did. {@code AgentFlagsTest} checks the two against each other.
 *
 * <p>No lambdas and no string concatenation on the way: nothing here spins a class.
 */
final class AgentFlags {

    private static final String PREFIX = "TETHER_AGENT_";

    /**
     * The flags that take a value, as picocli knows them from {@link AgentCommand}'s annotations (AgentFlagsTest
     * checks these lists against them: a flag added there and not here would lose its environment variable).
     */
    static final Set<String> VALUED = Set.of("--server", "--key-file", "--enroll-token-file", "--name",
            "--state-dir", "--label", "--ca-file", "--run-as", "--shell", "--max-shells", "--shell-idle-timeout",
            "--shell-scrollback");
    static final Set<String> SWITCHES = Set.of("--insecure", "--accept-moved-state", "--enable-shell");
    /** Repeatable, with comma-separated values. */
    static final Set<String> LISTS = Set.of("--server", "--label");

    private AgentFlags() {
    }

    /** Thrown inside: picocli is to read this command line. */
    private static final class NotPlain extends Exception {
        NotPlain() {
            super(null, null, false, false);
        }
    }

    /**
     * The command to run, its fields as picocli would set them from {@code args}, {@code env} and the config file;
     * null when picocli is to read the command line.
     */
    static AgentCommand parse(String[] args, Map<String, String> env) {
        try {
            return read(args, env);
        } catch (NotPlain e) {
            return null;
        }
    }

    private static AgentCommand read(String[] args, Map<String, String> env) throws NotPlain {
        Map<String, List<String>> given = new HashMap<>();
        String config = null;
        for (int i = 0; i < args.length; i++) {
            String arg = args[i];
            String flag = arg;
            String value = null;
            int eq = arg.indexOf('=');
            if (arg.startsWith("--") && eq > 2) {
                flag = arg.substring(0, eq);
                value = arg.substring(eq + 1);
            }
            if (SWITCHES.contains(flag)) {
                if (value != null) {
                    throw new NotPlain();
                }
                value = "true";
            } else if (VALUED.contains(flag) || flag.equals(FlagDefaults.CONFIG_FLAG)) {
                if (value == null) {
                    if (i + 1 == args.length) {
                        throw new NotPlain();
                    }
                    value = args[++i];
                }
                plain(value);
            } else {
                throw new NotPlain();
            }
            if (flag.equals(FlagDefaults.CONFIG_FLAG)) {
                if (config != null) {
                    throw new NotPlain();
                }
                config = value;
                continue;
            }
            List<String> values = given.get(flag);
            if (values == null) {
                values = new ArrayList<>();
                given.put(flag, values);
            } else if (!LISTS.contains(flag)) {
                throw new NotPlain();
            }
            values.add(value);
        }
        Map<String, String> file = configFile(config != null ? path(config) : fromEnvironment(env, "CONFIG"));

        AgentCommand command = new AgentCommand();
        command.configFile = config != null ? path(config) : null;
        for (String flag : flags()) {
            // A value from the environment or the file is checked even when the command line overrides it:
            // whether picocli converts it then is picocli's business, so such a command line is left to it.
            String fromEnv = env.get(variable(flag));
            fromEnv = fromEnv == null || fromEnv.isBlank() ? null : fromEnv.strip();
            String fromFile = file.get(flag);
            Object envValue = fromEnv == null ? null : convert(flag, List.of(fromEnv));
            Object fileValue = fromFile == null ? null : convert(flag, List.of(fromFile));
            List<String> values = given.get(flag);
            Object value = values != null ? convert(flag, values) : envValue != null ? envValue : fileValue;
            if (value != null) {
                set(command, flag, value);
            }
        }
        return command;
    }

    /** Every flag that can come from the environment or the config file. */
    private static List<String> flags() {
        List<String> flags = new ArrayList<>(VALUED);
        flags.addAll(SWITCHES);
        return flags;
    }

    /** A flag's value as picocli converts it: a list for a repeatable flag, of its values split at commas. */
    private static Object convert(String flag, List<String> values) throws NotPlain {
        if (LISTS.contains(flag)) {
            List<Object> list = new ArrayList<>();
            for (String value : values) {
                plain(value);
                int start = 0;
                while (true) {
                    int comma = value.indexOf(',', start);
                    String part = comma < 0 ? value.substring(start) : value.substring(start, comma);
                    if (part.isEmpty()) {
                        throw new NotPlain();
                    }
                    list.add(flag.equals("--server") ? uri(part) : part);
                    if (comma < 0) {
                        break;
                    }
                    start = comma + 1;
                }
            }
            return list;
        }
        String value = values.get(0);
        return switch (flag) {
            case "--key-file", "--enroll-token-file", "--state-dir", "--ca-file" -> path(value);
            case "--max-shells" -> integer(value);
            case "--shell-idle-timeout" -> duration(value);
            case "--shell-scrollback" -> byteSize(value);
            case "--insecure", "--accept-moved-state", "--enable-shell" -> bool(value);
            default -> value;
        };
    }

    @SuppressWarnings("unchecked")
    private static void set(AgentCommand command, String flag, Object value) {
        switch (flag) {
            case "--server" -> command.servers = (List<URI>) value;
            case "--label" -> command.labels = (List<String>) value;
            case "--key-file" -> command.keyFile = (Path) value;
            case "--enroll-token-file" -> command.enrollTokenFile = (Path) value;
            case "--name" -> command.name = (String) value;
            case "--state-dir" -> command.stateDir = (Path) value;
            case "--ca-file" -> command.caFile = (Path) value;
            case "--run-as" -> command.runAs = (String) value;
            case "--shell" -> command.shellProgram = (String) value;
            case "--max-shells" -> command.maxShells = (Integer) value;
            case "--shell-idle-timeout" -> command.shellIdleTimeout = (Duration) value;
            case "--shell-scrollback" -> command.shellScrollbackBytes = (Integer) value;
            case "--insecure" -> command.insecure = (Boolean) value;
            case "--accept-moved-state" -> command.acceptMovedState = (Boolean) value;
            case "--enable-shell" -> command.enableShell = (Boolean) value;
            default -> throw new IllegalArgumentException(flag);
        }
    }

    /** A value picocli reads as it is: not one it could take for an option, an argument file or a quoted list. */
    private static void plain(String value) throws NotPlain {
        if (value.startsWith("-") || value.startsWith("@") || value.indexOf('"') >= 0 || value.indexOf('\'') >= 0) {
            throw new NotPlain();
        }
    }

    /** {@link FlagDefaults#variable}. */
    private static String variable(String flag) {
        return PREFIX.concat(flag.substring(2).toUpperCase(Locale.ROOT).replace('-', '_'));
    }

    private static Path fromEnvironment(Map<String, String> env, String name) throws NotPlain {
        String value = env.get(PREFIX.concat(name));
        return value == null || value.isBlank() ? null : path(value.strip());
    }

    /**
     * The settings of the config file by flag, as {@link FlagDefaults} reads them; a file it refuses (missing,
     * unreadable, a malformed line, an unknown or repeated setting) is picocli's to report.
     */
    private static Map<String, String> configFile(Path file) throws NotPlain {
        Map<String, String> settings = new HashMap<>();
        if (file == null) {
            return settings;
        }
        List<String> lines;
        try {
            lines = Files.readAllLines(file);
        } catch (IOException e) {
            throw new NotPlain();
        }
        for (String line : lines) {
            line = line.strip();
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            int eq = line.indexOf('=');
            if (eq <= 0) {
                throw new NotPlain();
            }
            String flag = "--".concat(line.substring(0, eq).strip());
            if (!VALUED.contains(flag) && !SWITCHES.contains(flag)) {
                throw new NotPlain();
            }
            if (settings.put(flag, line.substring(eq + 1).strip()) != null) {
                throw new NotPlain();
            }
        }
        return settings;
    }

    // The conversions of picocli (its built-in converters) and of AgentCommand's own.

    private static URI uri(String value) throws NotPlain {
        try {
            return new URI(value);
        } catch (URISyntaxException e) {
            throw new NotPlain();
        }
    }

    private static Path path(String value) throws NotPlain {
        try {
            return Path.of(value);
        } catch (InvalidPathException e) {
            throw new NotPlain();
        }
    }

    private static int integer(String value) throws NotPlain {
        try {
            return Integer.valueOf(value);
        } catch (NumberFormatException e) {
            throw new NotPlain();
        }
    }

    private static Duration duration(String value) throws NotPlain {
        try {
            return Durations.parse(value);
        } catch (IllegalArgumentException e) {
            throw new NotPlain();
        }
    }

    private static int byteSize(String value) throws NotPlain {
        try {
            return AgentCommand.ByteSize.parse(value);
        } catch (IllegalArgumentException e) {
            throw new NotPlain();
        }
    }

    private static boolean bool(String value) throws NotPlain {
        if (value.equalsIgnoreCase("true")) {
            return true;
        }
        if (value.equalsIgnoreCase("false")) {
            return false;
        }
        throw new NotPlain();
    }
}
