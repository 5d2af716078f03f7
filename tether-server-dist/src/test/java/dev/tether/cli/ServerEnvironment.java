package dev.tether.cli;

import dev.tether.cli.logging.LogSettings;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import picocli.CommandLine;
import picocli.CommandLine.Model.OptionSpec;

/**
 * The environment variables {@code tether server} reads, taken from the command's own code rather than a list
 * kept by hand: one for each flag that {@link FlagDefaults} fills from the environment, and the ones read
 * directly (the admin token, the database password, the log settings). In this package because FlagDefaults and
 * the constants are package-private; tether-server-dist's tests use it to check compose.yaml and
 * server.env.example.
 */
public final class ServerEnvironment {

    private ServerEnvironment() {
    }

    public static Set<String> variables() {
        CommandLine server = Main.commandLine(Map.of(), "server").getSubcommands().get("server");
        FlagDefaults defaults = (FlagDefaults) server.getDefaultValueProvider();
        Set<String> variables = new TreeSet<>();
        for (OptionSpec option : server.getCommandSpec().options()) {
            String flag = option.longestName();
            if (flag.startsWith("--") && !option.usageHelp() && !option.versionHelp() && !option.hidden()
                    && !FlagDefaults.ONE_SHOT.contains(flag)) {
                // --config is the one that names a file: $TETHER_CONFIG.
                variables.add(defaults.variable(flag));
            }
        }
        variables.addAll(Set.of(ServerCommand.ADMIN_TOKEN_ENV, DbPassword.ENV, LogSettings.FORMAT_ENV,
                LogSettings.LEVEL_ENV, LogSettings.ACCESS_ENV));
        return variables;
    }
}
