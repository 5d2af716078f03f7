package dev.tether.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import picocli.CommandLine;
import picocli.CommandLine.IDefaultValueProvider;
import picocli.CommandLine.Model.ArgSpec;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.ParseResult;

/**
 * The flags of a long-running command ({@code tether server}, {@code tether agent}) from the environment or a
 * config file, for systemd units, containers and compose files. A flag's variable is its name in capitals
 * after the command's prefix: {@code --heartbeat-interval} of the server is {@code TETHER_HEARTBEAT_INTERVAL},
 * {@code --state-dir} of the agent is {@code TETHER_AGENT_STATE_DIR}. In the file of {@code --config} (or
 * {@code $PREFIX_CONFIG}) it is {@code heartbeat-interval = 30s}, one per line, {@code #} for comments.
 * The command line wins, then the environment, then the file, then the built-in default. Repeatable flags take
 * comma-separated values.
 *
 * <p>Left out: the help and version flags, hidden flags (the refused {@code --key}), {@code --config} itself and
 * the one-shot actions in {@link #ONE_SHOT} (an environment variable would repeat them at every restart).
 *
 * <p>Not thread safe: picocli consults it while parsing, on one thread.
 */
final class FlagDefaults implements IDefaultValueProvider {

    static final String CONFIG_FLAG = "--config";
    /** Flags that act once when given; never taken from the environment or a file. */
    static final Set<String> ONE_SHOT = Set.of("--rotate-admin-token");

    private final String prefix;
    private final Map<String, String> env;
    private final Path configFile;
    /** Where each value came from, by flag: {@code $TETHER_LISTEN} or {@code FILE line N}. */
    private final Map<String, String> origins = new LinkedHashMap<>();
    private Map<String, Setting> file;

    private record Setting(String value, int line) {
    }

    /** A config file that cannot be used: missing, unreadable, or with a line that is not a known setting. */
    static final class ConfigFileException extends IllegalArgumentException {
        ConfigFileException(String message) {
            super(message);
        }
    }

    /**
     * @param prefix of the variables, {@code TETHER_} or {@code TETHER_AGENT_}
     * @param args the whole command line, searched for {@code --config FILE}
     */
    FlagDefaults(String prefix, List<String> args, Map<String, String> env) {
        this.prefix = prefix;
        this.env = env;
        this.configFile = configFile(args, env.get(prefix + "CONFIG"));
    }

    /** The environment variable of a flag: {@code --max-shells} is {@code PREFIX_MAX_SHELLS}. */
    String variable(String flag) {
        return prefix + flag.substring(2).toUpperCase(Locale.ROOT).replace('-', '_');
    }

    /** Where the value of {@code flag} came from, or null when not from here. */
    String origin(String flag) {
        return origins.get(flag);
    }

    /**
     * What to add to an error about {@code message}'s flags that came from here, so a user looks in the right
     * place: " (--listen came from $TETHER_LISTEN)", or "" when none did.
     */
    static String note(CommandLine cmd, String message) {
        if (message == null || !(cmd.getDefaultValueProvider() instanceof FlagDefaults defaults)) {
            return "";
        }
        ParseResult parsed = cmd.getParseResult();
        StringBuilder note = new StringBuilder();
        defaults.origins.forEach((flag, origin) -> {
            if (message.contains(flag) && (parsed == null || !parsed.hasMatchedOption(flag))) {
                note.append(note.isEmpty() ? " (" : "; ").append(flag).append(" came from ").append(origin);
            }
        });
        return note.isEmpty() ? "" : note.append(')').toString();
    }

    @Override
    public String defaultValue(ArgSpec arg) {
        if (!(arg instanceof OptionSpec option) || !configurable(option)) {
            return null;
        }
        String flag = option.longestName();
        String fromEnv = env.get(variable(flag));
        if (fromEnv != null && !fromEnv.isBlank()) {
            origins.put(flag, "$" + variable(flag));
            return fromEnv.strip();
        }
        Setting setting = settings(option.command()).get(flag);
        if (setting != null) {
            origins.put(flag, configFile + " line " + setting.line());
            return setting.value();
        }
        return null;
    }

    private static boolean configurable(OptionSpec option) {
        String flag = option.longestName();
        return flag.startsWith("--") && !option.usageHelp() && !option.versionHelp() && !option.hidden()
                && !flag.equals(CONFIG_FLAG) && !ONE_SHOT.contains(flag);
    }

    /** The config file's settings, read once; an unknown name or a malformed line is refused. */
    private Map<String, Setting> settings(CommandSpec command) {
        if (file != null) {
            return file;
        }
        file = new LinkedHashMap<>();
        if (configFile == null) {
            return file;
        }
        List<String> lines;
        try {
            lines = Files.readAllLines(configFile);
        } catch (NoSuchFileException e) {
            throw new ConfigFileException("config file " + configFile + " does not exist (from " + CONFIG_FLAG
                    + " or $" + prefix + "CONFIG): create it, or point to the right file");
        } catch (IOException e) {
            throw new ConfigFileException("cannot read config file " + configFile + ": " + e.getMessage());
        }
        // A subcommand (tether agent status) reads the same file as its command: the command's flags are known.
        Set<String> known = new TreeSet<>();
        for (CommandSpec c = command; c != null && c.defaultValueProvider() == this; c = c.parent()) {
            command = c;
            c.options().stream().filter(FlagDefaults::configurable).forEach(o -> known.add(o.longestName()));
        }
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i).strip();
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            int eq = line.indexOf('=');
            String where = "config file " + configFile + " line " + (i + 1);
            if (eq <= 0) {
                throw new ConfigFileException(where + ": write NAME = VALUE, e.g. heartbeat-interval = 30s");
            }
            String flag = "--" + line.substring(0, eq).strip();
            if (!known.contains(flag)) {
                throw new ConfigFileException(where + ": unknown setting '" + flag.substring(2) + "'; the "
                        + "settings are the flags of tether " + command.name() + " without the dashes: "
                        + String.join(", ", known.stream().map(f -> f.substring(2)).toList()));
            }
            if (file.put(flag, new Setting(line.substring(eq + 1).strip(), i + 1)) != null) {
                throw new ConfigFileException(where + ": '" + flag.substring(2) + "' is set twice");
            }
        }
        return file;
    }

    private static Path configFile(List<String> args, String fromEnv) {
        for (int i = 0; i < args.size(); i++) {
            String arg = args.get(i);
            if (arg.equals("--")) {
                break;
            }
            if (arg.equals(CONFIG_FLAG) && i + 1 < args.size()) {
                return Path.of(args.get(i + 1));
            }
            if (arg.startsWith(CONFIG_FLAG + "=")) {
                return Path.of(arg.substring(CONFIG_FLAG.length() + 1));
            }
        }
        return fromEnv == null || fromEnv.isBlank() ? null : Path.of(fromEnv.strip());
    }
}
