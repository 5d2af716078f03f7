package dev.tether.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.ParameterException;

/**
 * {@link AgentFlags} against picocli: whatever command line, environment and config file it reads, picocli reads
 * the same without an error and into the same fields; whatever it declines is picocli's to read.
 */
class AgentFlagsTest {

    @TempDir
    Path dir;

    /** AgentFlags knows every flag picocli knows that can come from the environment, and how each is read. */
    @Test
    void knowsTheFlagsOfPicocliModel() {
        CommandLine cmd = AgentMain.Picocli.commandLine(Map.of());
        Set<String> valued = new TreeSet<>();
        Set<String> switches = new TreeSet<>();
        Set<String> lists = new TreeSet<>();
        for (OptionSpec option : cmd.getCommandSpec().options()) {
            String flag = option.longestName();
            if (option.usageHelp() || option.versionHelp() || option.hidden()
                    || flag.equals(FlagDefaults.CONFIG_FLAG)) {
                continue;
            }
            (option.arity().max() == 0 ? switches : valued).add(flag);
            if (option.isMultiValue()) {
                lists.add(flag);
            }
        }
        assertThat(new TreeSet<>(AgentFlags.VALUED)).isEqualTo(valued);
        assertThat(new TreeSet<>(AgentFlags.SWITCHES)).isEqualTo(switches);
        assertThat(new TreeSet<>(AgentFlags.LISTS)).isEqualTo(lists);
    }

    /** Command lines, environments and config files that AgentFlags reads itself. */
    @Test
    void readsWhatPicocliReadsForPlainCommandLines() throws Exception {
        Path config = Files.writeString(dir.resolve("agent.conf"), """
                # the agent's settings
                server = https://file.example.com
                state-dir = /var/lib/from-file

                label = from=file,second=label
                max-shells = 3
                enable-shell = true
                shell-idle-timeout = 10m
                """);
        Path partial = Files.writeString(dir.resolve("partial.conf"), "name = from-file\ninsecure = false\n");

        List<Case> plain = List.of(
                // What the package's launcher, its training and the footprint bench pass.
                new Case(List.of("--server", "https://localhost:8443", "--ca-file", "/tmp/ca.pem", "--state-dir",
                        "/tmp/state", "--enable-shell"), Map.of()),
                new Case(List.of("--server", "https://localhost:1", "--state-dir", "/tmp/st", "--label",
                        "training=yes"), Map.of()),
                // The systemd unit: everything from the environment.
                new Case(List.of(), Map.of("TETHER_AGENT_SERVER", "https://tether.example.com",
                        "TETHER_AGENT_ENROLL_TOKEN_FILE", "/etc/tether/enroll-token",
                        "TETHER_AGENT_STATE_DIR", "/var/lib/tether-agent")),
                new Case(List.of(), Map.of()),
                new Case(List.of(), Map.of("TETHER_AGENT_SERVER", " https://a.example.com,https://b.example.com ",
                        "TETHER_AGENT_LABEL", "env=prod,role=web", "TETHER_AGENT_INSECURE", "true",
                        "TETHER_AGENT_ENABLE_SHELL", "TRUE", "TETHER_AGENT_ACCEPT_MOVED_STATE", "false",
                        "TETHER_AGENT_MAX_SHELLS", "12", "TETHER_AGENT_SHELL_IDLE_TIMEOUT", "90s",
                        "TETHER_AGENT_SHELL_SCROLLBACK", "1m", "TETHER_AGENT_SHELL", "/bin/bash",
                        "TETHER_AGENT_RUN_AS", "nobody")),
                new Case(List.of(), Map.of("TETHER_AGENT_NAME", "web-1", "TETHER_AGENT_SERVER", "https://a.example.com")),
                new Case(List.of(), Map.of("TETHER_AGENT_KEY_FILE", "/etc/tether/key", "TETHER_AGENT_CA_FILE",
                        "/etc/tether/ca.pem", "TETHER_AGENT_STATE_DIR", "   ", "TETHER_AGENT_NAME", "")),
                // Every flag on the command line, in both forms.
                new Case(List.of("--server=https://a.example.com", "--server", "https://b.example.com:8443,"
                        + "https://c.example.com/tether", "--key-file", "/k", "--name=host-1", "--state-dir=/s",
                        "--label", "a=b", "--label=c=d,e=f", "--ca-file", "ca.pem", "--insecure",
                        "--accept-moved-state", "--run-as", "nobody", "--enable-shell", "--shell", "/bin/zsh",
                        "--max-shells", "0", "--shell-idle-timeout", "0", "--shell-scrollback", "65536"), Map.of()),
                new Case(List.of("--enroll-token-file", "/etc/token", "--max-shells=+7", "--shell-scrollback=64k",
                        "--shell-idle-timeout=500ms", "--name", ""), Map.of()),
                // The command line wins over the environment, the environment over the file.
                new Case(List.of("--server", "https://cli.example.com", "--label", "from=cli", "--config",
                        config.toString()), Map.of("TETHER_AGENT_SERVER", "https://env.example.com",
                        "TETHER_AGENT_STATE_DIR", "/from-env", "TETHER_AGENT_LABEL", "from=env")),
                new Case(List.of(), Map.of("TETHER_AGENT_CONFIG", " " + config + " ", "TETHER_AGENT_MAX_SHELLS",
                        "5")),
                new Case(List.of("--config=" + partial), Map.of("TETHER_AGENT_INSECURE", "true")),
                new Case(List.of("--config", partial.toString()), Map.of()));
        for (Case c : plain) {
            AgentCommand fast = AgentFlags.parse(c.args(), c.env());
            assertThat(fast).as("read without picocli: %s", c).isNotNull();
            assertThat(fields(fast)).as("%s", c).isEqualTo(fields(picocli(c)));
        }
    }

    /** Whatever AgentFlags declines, picocli reads (help, subcommands) or refuses with its own message. */
    @Test
    void declinesWhatItCannotBeSureToReadAsPicocliDoes() throws Exception {
        Path badLine = Files.writeString(dir.resolve("bad.conf"), "server https://a.example.com\n");
        Path unknown = Files.writeString(dir.resolve("unknown.conf"), "listen = 127.0.0.1:1\n");
        Path twice = Files.writeString(dir.resolve("twice.conf"), "name = a\nname = b\n");
        Path key = Files.writeString(dir.resolve("key.conf"), "key = secret\n");
        Path args = Files.writeString(dir.resolve("args"), "--insecure\n");
        List<Case> declined = List.of(
                new Case(List.of("--help"), Map.of()),
                new Case(List.of("-h"), Map.of()),
                new Case(List.of("--version"), Map.of()),
                new Case(List.of("-V"), Map.of()),
                new Case(List.of("status"), Map.of()),
                new Case(List.of("emit", "--type", "x"), Map.of()),
                new Case(List.of("--server", "https://a.example.com", "--bogus"), Map.of()),
                new Case(List.of("--serve", "https://a.example.com"), Map.of()),
                new Case(List.of("--key", "secret"), Map.of()),
                new Case(List.of("--enroll-token=secret"), Map.of()),
                new Case(List.of("--state-dir", "/a", "--state-dir", "/b"), Map.of()),
                new Case(List.of("--insecure", "--insecure"), Map.of()),
                new Case(List.of("--insecure=true"), Map.of()),
                new Case(List.of("--server"), Map.of()),
                new Case(List.of("--shell", "--insecure"), Map.of()),
                new Case(List.of("--max-shells", "-1"), Map.of()),
                new Case(List.of("--max-shells", "many"), Map.of()),
                new Case(List.of("--max-shells", "0x10"), Map.of()),
                new Case(List.of("--shell-idle-timeout", "5 minutes"), Map.of()),
                new Case(List.of("--shell-scrollback", "64g"), Map.of()),
                new Case(List.of("--server", "https://a.example.com,"), Map.of()),
                new Case(List.of("--server", "https://a.example.com,,https://b.example.com"), Map.of()),
                new Case(List.of("--server", "https://a example.com"), Map.of()),
                new Case(List.of("--label", "\"a=b,c\""), Map.of()),
                new Case(List.of("--state-dir", "/a\0b"), Map.of()),
                new Case(List.of("@" + args), Map.of()),
                new Case(List.of("--", "--insecure"), Map.of()),
                new Case(List.of("https://a.example.com"), Map.of()),
                new Case(List.of(), Map.of("TETHER_AGENT_INSECURE", "yes")),
                new Case(List.of(), Map.of("TETHER_AGENT_MAX_SHELLS", "eight")),
                new Case(List.of(), Map.of("TETHER_AGENT_SERVER", "https://a.example.com,")),
                new Case(List.of("--max-shells", "3"), Map.of("TETHER_AGENT_MAX_SHELLS", "eight")),
                new Case(List.of("--config", dir.resolve("missing.conf").toString()), Map.of()),
                new Case(List.of(), Map.of("TETHER_AGENT_CONFIG", badLine.toString())),
                new Case(List.of("--config", unknown.toString()), Map.of()),
                new Case(List.of("--config", twice.toString()), Map.of()),
                new Case(List.of("--config", key.toString()), Map.of()),
                new Case(List.of("--config", twice.toString(), "--config", twice.toString()), Map.of()));
        for (Case c : declined) {
            assertThat(AgentFlags.parse(c.args(), c.env())).as("declined: %s", c).isNull();
        }
        // A few of them, to show they are not declined for nothing: picocli refuses them.
        for (Case c : List.of(declined.get(6), declined.get(10), declined.get(17), declined.get(28),
                declined.get(32), declined.get(34))) {
            assertPicocliRefuses(c);
        }
        // And one it reads differently: an argument file.
        assertThat(fields(picocli(declined.get(25)))).isNotEqualTo(fields(new AgentCommand()));
    }

    @Test
    void anAgentThatFailsToStartIsReportedAsPicocliReportsIt() throws Exception {
        Path state = dir.resolve("state");
        String[] args = {"--server", "https://a.example.com", "--state-dir", state.toString()};
        Map<String, String> env = Map.of("TETHER_AGENT_KEY_FILE", dir.resolve("agent.key").toString(),
                "TETHER_AGENT_ENROLL_TOKEN_FILE", dir.resolve("token").toString());

        int fastExit;
        PrintStream err = System.err;
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        System.setErr(new PrintStream(bytes, true, StandardCharsets.UTF_8));
        try {
            AgentCommand command = AgentFlags.parse(args, env);
            assertThat(command).isNotNull();
            fastExit = AgentMain.run(command, env, args);
        } finally {
            System.setErr(err);
        }
        StringWriter slow = new StringWriter();
        CommandLine cmd = AgentMain.Picocli.commandLine(env, args).setErr(new PrintWriter(slow));
        int slowExit = cmd.execute(args);

        assertThat(fastExit).isEqualTo(slowExit).isEqualTo(ErrorReporter.USAGE);
        assertThat(bytes.toString(StandardCharsets.UTF_8)).isEqualTo(slow.toString())
                .startsWith("tether: --enroll-token-file gets the agent a key of its own")
                .contains("--key-file came from $TETHER_AGENT_KEY_FILE");
    }

    private record Case(List<String> argList, Map<String, String> env) {
        String[] args() {
            return argList.toArray(String[]::new);
        }
    }

    private static AgentCommand picocli(Case c) {
        CommandLine cmd = AgentMain.Picocli.commandLine(c.env(), c.args());
        assertThatCode(() -> cmd.parseArgs(c.args())).as("picocli reads %s", c).doesNotThrowAnyException();
        return cmd.getCommand();
    }

    /** Picocli refuses the command line as it reads it (nothing runs). */
    private static void assertPicocliRefuses(Case c) {
        CommandLine cmd = AgentMain.Picocli.commandLine(c.env(), c.args());
        assertThatThrownBy(() -> cmd.parseArgs(c.args())).as("%s", c).isInstanceOf(ParameterException.class);
    }

    /** Every field of the command picocli fills, by name. */
    private static Map<String, Object> fields(AgentCommand command) throws IllegalAccessException {
        Map<String, Object> fields = new LinkedHashMap<>();
        for (Field field : AgentCommand.class.getDeclaredFields()) {
            if (Modifier.isStatic(field.getModifiers())) {
                continue;
            }
            Object value = field.get(command);
            fields.put(field.getName(), value instanceof List<?> list ? new ArrayList<>(list) : value);
        }
        assertThat(fields).containsKeys("servers", "labels", "stateDir", "shellIdleTimeout");
        return fields;
    }
}
