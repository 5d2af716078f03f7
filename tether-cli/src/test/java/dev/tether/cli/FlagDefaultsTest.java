package dev.tether.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tether.agent.AgentConfig;
import dev.tether.server.ServerConfig;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * The flags of {@code tether server} and {@code tether agent} from the environment and a config file, as a
 * systemd unit or a compose file gives them: what wins over what, and errors that say where a bad value came from.
 */
class FlagDefaultsTest {

    @TempDir
    Path dir;
    private final StringWriter err = new StringWriter();

    private ServerConfig server(Map<String, String> env, String... args) throws Exception {
        CommandLine cli = Main.commandLine(env, prepend("server", args));
        cli.parseArgs(prepend("server", args));
        return ((ServerCommand) cli.getSubcommands().get("server").getCommand()).config();
    }

    private AgentConfig agent(Map<String, String> env, String... args) throws Exception {
        CommandLine cli = Main.commandLine(env, prepend("agent", args));
        cli.parseArgs(prepend("agent", args));
        return ((AgentCommand) cli.getSubcommands().get("agent").getCommand()).config();
    }

    private int run(Map<String, String> env, String... args) {
        return Main.commandLine(env, args).setErr(new PrintWriter(err, true)).execute(args);
    }

    private static String[] prepend(String first, String... rest) {
        String[] all = new String[rest.length + 1];
        all[0] = first;
        System.arraycopy(rest, 0, all, 1, rest.length);
        return all;
    }

    @Test
    void everyServerFlagCanComeFromTheEnvironment() throws Exception {
        ServerConfig config = server(Map.of(
                "TETHER_LISTEN", "127.0.0.1:9443",
                "TETHER_DATA_DIR", dir.toString(),
                "TETHER_INSECURE_HTTP", "true",
                "TETHER_HEARTBEAT_INTERVAL", "7s",
                "TETHER_MAX_HANDSHAKES_PER_SECOND", "250",
                "TETHER_RECORD_INPUT", "true",
                "TETHER_NODE_NAME", "node-7"));

        assertThat(config.host()).isEqualTo("127.0.0.1");
        assertThat(config.port()).isEqualTo(9443);
        assertThat(config.dataDir()).isEqualTo(dir);
        assertThat(config.insecureHttp()).isTrue();
        assertThat(config.heartbeatInterval()).isEqualTo(Duration.ofSeconds(7));
        assertThat(config.maxHandshakesPerSecond()).isEqualTo(250);
        assertThat(config.shell().recordInput()).isTrue();
        assertThat(config.cluster().nodeName()).isEqualTo("node-7");
    }

    @Test
    void theCommandLineWinsThenTheEnvironmentThenTheFileThenTheDefault() throws Exception {
        Path file = Files.writeString(dir.resolve("server.conf"), """
                # the server of the compose file
                listen = 127.0.0.1:7000
                heartbeat-interval = 9s
                data-dir = %s
                insecure-http = true
                max-handshakes-per-second = 300
                """.formatted(dir));

        ServerConfig config = server(Map.of("TETHER_HEARTBEAT_INTERVAL", "7s", "TETHER_MAX_HANDSHAKES_PER_SECOND",
                "400"), "--config", file.toString(), "--listen", "127.0.0.1:7001", "--max-handshakes-per-second", "500");

        assertThat(config.port()).as("command line over file").isEqualTo(7001);
        assertThat(config.maxHandshakesPerSecond()).as("command line over environment").isEqualTo(500);
        assertThat(config.heartbeatInterval()).as("environment over file").isEqualTo(Duration.ofSeconds(7));
        assertThat(config.dataDir()).as("file over default").isEqualTo(dir);
        assertThat(config.shell().idleTimeout()).as("default").isEqualTo(ServerConfig.defaults().shell().idleTimeout());
    }

    @Test
    void theConfigFileMayComeFromTheEnvironment() throws Exception {
        Path file = Files.writeString(dir.resolve("server.conf"), "listen = 127.0.0.1:7002\ninsecure-http = true\n"
                + "data-dir = " + dir + "\n");

        assertThat(server(Map.of("TETHER_CONFIG", file.toString())).port()).isEqualTo(7002);
    }

    @Test
    void aOneShotActionNeverComesFromTheEnvironment() throws Exception {
        CommandLine cli = Main.commandLine(Map.of("TETHER_ROTATE_ADMIN_TOKEN", "true"), "server", "--dev");
        cli.parseArgs("server", "--dev");

        assertThat(((ServerCommand) cli.getSubcommands().get("server").getCommand()).rotateAdminToken).isFalse();
    }

    @Test
    void aBadValueFromTheEnvironmentSaysWhereItCameFrom() {
        int badDuration = run(Map.of("TETHER_HEARTBEAT_INTERVAL", "soon"), "server", "--dev");
        String durationError = err.toString();
        err.getBuffer().setLength(0);
        int badListen = run(Map.of("TETHER_LISTEN", "localhost"), "server", "--dev");

        assertThat(badDuration).isEqualTo(ErrorReporter.USAGE);
        assertThat(durationError).contains("--heartbeat-interval").contains("soon")
                .contains("--heartbeat-interval came from $TETHER_HEARTBEAT_INTERVAL");
        assertThat(badListen).isEqualTo(ErrorReporter.USAGE);
        assertThat(err.toString()).contains("invalid --listen 'localhost'")
                .contains("--listen came from $TETHER_LISTEN");
    }

    @Test
    void aBadValueFromTheFileNamesTheFileAndLine() throws Exception {
        Path file = Files.writeString(dir.resolve("server.conf"), "# ok\ninsecure-http = true\nlisten = nowhere\n");

        int exit = run(Map.of(), "server", "--config", file.toString(), "--data-dir", dir.toString());

        assertThat(exit).isEqualTo(ErrorReporter.USAGE);
        assertThat(err.toString()).contains("invalid --listen 'nowhere'")
                .contains("--listen came from " + file + " line 3");
    }

    @Test
    void anUnknownSettingAMalformedLineOrAMissingFileIsRefusedClearly() throws Exception {
        Path typo = Files.writeString(dir.resolve("typo.conf"), "lisen = 127.0.0.1:8080\n");
        Path malformed = Files.writeString(dir.resolve("malformed.conf"), "\n--listen 127.0.0.1:8080\n");
        Path secret = Files.writeString(dir.resolve("secret.conf"), "rotate-admin-token = true\n");

        assertThat(run(Map.of(), "server", "--config", typo.toString())).isEqualTo(ErrorReporter.USAGE);
        assertThat(err.toString()).startsWith("tether: config file " + typo + " line 1: unknown setting 'lisen'")
                .contains("listen, ").doesNotContain("Exception").doesNotContain("Usage:");
        err.getBuffer().setLength(0);
        assertThat(run(Map.of(), "server", "--config", malformed.toString())).isEqualTo(ErrorReporter.USAGE);
        assertThat(err.toString()).contains(malformed + " line 2: write NAME = VALUE");
        err.getBuffer().setLength(0);
        assertThat(run(Map.of(), "server", "--config", secret.toString())).isEqualTo(ErrorReporter.USAGE);
        assertThat(err.toString()).contains("unknown setting 'rotate-admin-token'");
        err.getBuffer().setLength(0);
        assertThat(run(Map.of(), "server", "--config", dir.resolve("absent.conf").toString()))
                .isEqualTo(ErrorReporter.USAGE);
        assertThat(err.toString()).contains("config file " + dir.resolve("absent.conf") + " does not exist");
    }

    @Test
    void everyAgentFlagCanComeFromTheEnvironmentWithItsOwnPrefix() throws Exception {
        Path key = Files.writeString(dir.resolve("agent.key"), "tak_test-key-0123456789\n");

        AgentConfig config = agent(Map.of(
                "TETHER_AGENT_SERVER", "https://a.example.com,https://b.example.com",
                "TETHER_AGENT_KEY_FILE", key.toString(),
                "TETHER_AGENT_STATE_DIR", dir.resolve("state").toString(),
                "TETHER_AGENT_LABEL", "env=prod,role=web",
                "TETHER_AGENT_ENABLE_SHELL", "true",
                "TETHER_LISTEN", "not the agent's"));

        assertThat(config.servers()).containsExactly(URI.create("https://a.example.com"),
                URI.create("https://b.example.com"));
        assertThat(config.labels()).containsExactly(Map.entry("env", "prod"), Map.entry("role", "web"));
        assertThat(config.shell().enabled()).isTrue();
    }

    @Test
    void theAgentKeyVariableIsTheKeyNotAFlag() throws Exception {
        // TETHER_AGENT_KEY holds the key itself; it must not turn into the refused --key flag (nor
        // TETHER_AGENT_ENROLL_TOKEN into --enroll-token).
        Path key = Files.writeString(dir.resolve("agent.key"), "tak_test-key-0123456789\n");

        AgentConfig config = agent(Map.of("TETHER_AGENT_KEY", "tak_from-the-environment-0123456789",
                "TETHER_AGENT_ENROLL_TOKEN", "tet_from-the-environment",
                "TETHER_AGENT_SERVER", "https://a.example.com",
                "TETHER_AGENT_KEY_FILE", key.toString(),
                "TETHER_AGENT_STATE_DIR", dir.resolve("state").toString()));

        assertThat(config.servers()).containsExactly(URI.create("https://a.example.com"));
        assertThat(config.key()).isEqualTo("tak_test-key-0123456789");
    }

    // Were the check to let the value through, the server would start and never return: fail instead of hanging.
    @Test
    @Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void aBadLogFormatStopsTheServerBeforeItStartsNamingTheValidValues() {
        java.io.ByteArrayOutputStream stderr = new java.io.ByteArrayOutputStream();

        int code = Main.run(Map.of("TETHER_LOG_FORMAT", "yaml"), new java.io.PrintStream(stderr, true), "server",
                "--dev", "--data-dir", dir.resolve("never").toString());

        assertThat(code).isEqualTo(2);
        assertThat(stderr.toString()).isEqualTo("tether: TETHER_LOG_FORMAT is 'yaml'; use text or json (default text)"
                + System.lineSeparator());
        assertThat(dir.resolve("never")).doesNotExist();
    }
}
