package dev.tether.cli;

import dev.tether.cli.logging.LogSettings;
import java.util.List;
import java.util.Map;
import picocli.CommandLine;

/**
 * {@code tether-agent}: the agent-only program of the agent package, the same flags as {@code tether agent}.
 * The package's jar holds this class, {@link AgentCommand} and what they use, never the server; see the
 * {@code tether-agent-dist} module.
 *
 * <p>A plain command line that runs the agent is read by {@link AgentFlags}, without picocli; help, version, the
 * subcommands and whatever is wrong are picocli's ({@link Picocli}). This class names no picocli type, so that
 * loading it loads none of picocli.
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
        AgentCommand plain = AgentFlags.parse(args, env);
        System.exit(plain != null ? run(plain, env, args) : Picocli.execute(env, args));
    }

    /**
     * Runs the agent of a command line read by {@link AgentFlags}. A failure is reported as picocli's
     * {@code execute} reports it: by {@link ErrorReporter}, with picocli's reading of the same command line (which
     * tells where a flag came from).
     */
    static int run(AgentCommand command, Map<String, String> env, String[] args) {
        try {
            return command.call();
        } catch (Exception e) {
            return Picocli.report(e, env, args);
        }
    }

    /** The command line as picocli reads it. */
    static final class Picocli {

        private Picocli() {
        }

        static CommandLine commandLine(Map<String, String> env, String... args) {
            return new CommandLine(new AgentCommand())
                    .setCommandName("tether-agent")
                    .setExecutionExceptionHandler(new ErrorReporter())
                    .setParameterExceptionHandler(ErrorReporter::handleParseException)
                    .setCaseInsensitiveEnumValuesAllowed(true)
                    .setDefaultValueProvider(new FlagDefaults("TETHER_AGENT_", List.of(args), env));
        }

        static int execute(Map<String, String> env, String[] args) {
            return commandLine(env, args).execute(args);
        }

        /** What {@code execute} prints and returns when running the command failed with {@code e}. */
        static int report(Exception e, Map<String, String> env, String[] args) {
            CommandLine cmd = commandLine(env, args);
            try {
                cmd.parseArgs(args);
            } catch (CommandLine.ParameterException parse) {
                return ErrorReporter.handleParseException(parse, args);
            }
            return new ErrorReporter().handleExecutionException(e, cmd, cmd.getParseResult());
        }
    }
}
