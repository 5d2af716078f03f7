package dev.tether.cli;

import dev.tether.cli.logging.LogSettings;
import java.util.List;
import java.util.Map;
import picocli.CommandLine;

/**
 * {@code tether-agent}: the agent-only program of the agent package, the same flags as {@code tether agent}.
 * The package's jar holds this class, {@link AgentCommand} and what they use, never the server; see the
 * {@code tether-agent-dist} module.
 */
public final class AgentMain {

    private AgentMain() {
    }

    public static void main(String[] args) {
        Map<String, String> env = System.getenv();
        // Before anything logs: the log format and level are read when logback starts.
        if (!LogSettings.applyOrExplain("tether-agent", env, System.err)) {
            System.exit(ErrorReporter.USAGE);
        }
        System.exit(commandLine(env, args).execute(args));
    }

    static CommandLine commandLine(Map<String, String> env, String... args) {
        return new CommandLine(new AgentCommand())
                .setCommandName("tether-agent")
                .setExecutionExceptionHandler(new ErrorReporter())
                .setParameterExceptionHandler(ErrorReporter::handleParseException)
                .setCaseInsensitiveEnumValuesAllowed(true)
                .setDefaultValueProvider(new FlagDefaults("TETHER_AGENT_", List.of(args), env));
    }
}
