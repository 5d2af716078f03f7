package dev.tether.cli;

import dev.tether.cli.ops.AgentsCommand;
import dev.tether.cli.ops.BackupCommand;
import dev.tether.cli.ops.ClusterCommand;
import dev.tether.cli.ops.CommandsCommand;
import dev.tether.cli.ops.EnrollTokensCommand;
import dev.tether.cli.ops.EventsCommand;
import dev.tether.cli.ops.JobsCommand;
import dev.tether.cli.ops.LoginCommand;
import dev.tether.cli.ops.ProfileOption;
import dev.tether.cli.ops.RunCommand;
import dev.tether.cli.ops.SessionsCommand;
import dev.tether.cli.ops.UsersCommand;
import dev.tether.cli.shell.ShellCommand;
import java.util.List;
import java.util.Map;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code tether} command: launches the server and the agent, and drives the REST API. */
@Command(name = "tether",
        mixinStandardHelpOptions = true,
        versionProvider = Version.class,
        description = "Tether: a self-hosted control plane for fleets of agents.",
        subcommands = {
                ServerCommand.class,
                AgentCommand.class,
                AgentsCommand.class,
                EnrollTokensCommand.class,
                RunCommand.class,
                JobsCommand.class,
                CommandsCommand.class,
                EventsCommand.class,
                ShellCommand.class,
                SessionsCommand.class,
                ClusterCommand.class,
                BackupCommand.class,
                LoginCommand.Login.class,
                LoginCommand.Logout.class,
                LoginCommand.Profiles.class,
                UsersCommand.Users.class,
                UsersCommand.Tokens.class,
                CompletionCommand.class,
                CommandLine.HelpCommand.class
        })
public final class Main implements Runnable {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    public static void main(String[] args) {
        System.exit(run(args));
    }

    /** Runs the CLI and returns its exit code. */
    public static int run(String... args) {
        return commandLine(System.getenv(), args).execute(args);
    }

    /**
     * The CLI, set up to parse and run {@code args}; the long-running commands take flags from {@code env} too,
     * and the operator commands read their environment variables (TETHER_URL, TETHER_PROFILE, ...) from it.
     */
    static CommandLine commandLine(Map<String, String> env, String... args) {
        CommandLine cli = new CommandLine(new Main(), environmentFactory(env))
                .setExecutionExceptionHandler(new ErrorReporter())
                .setParameterExceptionHandler(ErrorReporter::handleParseException)
                .setCaseInsensitiveEnumValuesAllowed(true);
        cli.getSubcommands().get("server").setDefaultValueProvider(new FlagDefaults("TETHER_", List.of(args), env));
        cli.getSubcommands().get("agent").setDefaultValueProvider(
                new FlagDefaults("TETHER_AGENT_", List.of(args), env));
        return cli;
    }

    /** Creates the commands as picocli does, handing {@code env} to the options that read the environment. */
    private static CommandLine.IFactory environmentFactory(Map<String, String> env) {
        CommandLine.IFactory standard = CommandLine.defaultFactory();
        return new CommandLine.IFactory() {
            @Override
            public <K> K create(Class<K> type) throws Exception {
                return type == ProfileOption.class ? type.cast(new ProfileOption(env)) : standard.create(type);
            }
        };
    }

    @Override
    public void run() {
        spec.commandLine().usage(System.err);
    }
}
