package dev.tether.dist;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code install-agent.sh} on its own, into temporary roots: what it writes, that running it again keeps what is
 * not given again, that bad input is refused with a message and changes nothing, and {@code --uninstall}.
 */
class InstallScriptTest {

    @TempDir
    Path dir;
    private Path script;
    private Path root;

    @BeforeEach
    void unpack() throws Exception {
        script = AgentPackage.unpack(dir).resolve("install-agent.sh");
        root = dir.resolve("root");
    }

    @Test
    void writesTheSettingsAndKeepsThemWhenRunAgain() throws Exception {
        Path token = Files.writeString(dir.resolve("token"), "tet_abc-DEF_123\n");
        install("--server", "https://a.example:8443", "--server", "https://b.example", "--token-file",
                token.toString(), "--label", "env=prod", "--label", "role=web server", "--name", "web 1",
                "--enable-shell").assertExit(0);
        String settings = Files.readString(root.resolve("etc/tether/agent.env"));
        assertThat(settings).contains("TETHER_AGENT_SERVER='https://a.example:8443,https://b.example'",
                "TETHER_AGENT_LABEL='env=prod,role=web server'", "TETHER_AGENT_NAME='web 1'",
                "TETHER_AGENT_ENABLE_SHELL='true'",
                "TETHER_AGENT_STATE_DIR='" + root.resolve("var/lib/tether-agent") + "'",
                "TETHER_AGENT_ENROLL_TOKEN_FILE='" + root.resolve("etc/tether/enroll-token") + "'");
        assertThat(Files.readString(root.resolve("etc/tether/enroll-token"))).isEqualTo("tet_abc-DEF_123\n");
        String unit = Files.readString(root.resolve("etc/systemd/system/tether-agent.service"));
        assertThat(unit).contains("ExecStart=" + root.resolve("opt/tether-agent/bin/tether-agent"),
                "EnvironmentFile=" + root.resolve("etc/tether/agent.env"), "NoNewPrivileges=yes",
                "ProtectSystem=strict", "PrivateTmp=yes", "RestartForceExitStatus=75").doesNotContain("@");
        assertThat(Files.readSymbolicLink(root.resolve("usr/local/bin/tether-agent")))
                .isEqualTo(root.resolve("opt/tether-agent/bin/tether-agent"));

        install("--label", "env=staging", "--disable-shell").assertExit(0);
        String again = Files.readString(root.resolve("etc/tether/agent.env"));
        assertThat(again).contains("TETHER_AGENT_SERVER='https://a.example:8443,https://b.example'",
                "TETHER_AGENT_LABEL='env=staging'", "TETHER_AGENT_NAME='web 1'", "TETHER_AGENT_ENABLE_SHELL='false'",
                "TETHER_AGENT_ENROLL_TOKEN_FILE=");
        assertThat(Files.readString(root.resolve("etc/tether/enroll-token"))).isEqualTo("tet_abc-DEF_123\n");
    }

    @Test
    void systemdAcceptsTheInstalledUnit() throws Exception {
        Path analyze = Path.of("/usr/bin/systemd-analyze");
        Assumptions.assumeTrue(Files.isExecutable(analyze), "no systemd-analyze here");
        install("--server", "https://tether.example").assertExit(0);
        Commands.Result verify = Commands.run(List.of(analyze.toString(), "verify",
                root.resolve("etc/systemd/system/tether-agent.service").toString()), Map.of(), null,
                Duration.ofSeconds(60));
        // systemd before 254 does not know the restart backoff keys and says so; anything else is a mistake.
        assertThat((verify.out() + verify.err()).lines()
                .filter(line -> !line.contains("RestartSteps") && !line.contains("RestartMaxDelaySec"))
                .toList()).isEmpty();
    }

    @Test
    void badInputIsRefusedWithAMessageAndChangesNothing() throws Exception {
        install("--server", "https://tether.example").assertExit(0);
        String settings = Files.readString(root.resolve("etc/tether/agent.env"));

        assertRefused(List.of("--server", "http://tether.example"), "is not TLS: use https:// or add --insecure");
        assertRefused(List.of("--server", "tether.example"), "give a URL such as https://");
        assertRefused(List.of("--label", "prod"), "--label prod: give KEY=VALUE");
        assertRefused(List.of("--token-file", dir.resolve("missing").toString()), "no such readable file");
        assertRefused(List.of("--name", "it's"), "may not hold a quote");
        assertRefused(List.of("--server"), "--server needs a URL");
        assertRefused(List.of("--colour"), "unknown option --colour (see --help)");
        assertRefused(List.of("--ca-file", "/nonexistent.pem"), "--ca-file /nonexistent.pem: no such readable file");
        Commands.Result token = Commands.run(args("--token-stdin"), Map.of(), "tet_x'; rm -rf /\n",
                Duration.ofSeconds(30));
        assertThat(token.exit()).isEqualTo(2);
        assertThat(token.err()).contains("has characters no token has");
        Commands.Result none = Commands.run(List.of(script.toString(), "--root", dir.resolve("other").toString()),
                Map.of(), null, Duration.ofSeconds(30));
        assertThat(none.exit()).isEqualTo(2);
        assertThat(none.err()).contains("--server URL is required");

        assertThat(Files.readString(root.resolve("etc/tether/agent.env"))).isEqualTo(settings);
        assertThat(root.resolve("etc/tether/enroll-token")).doesNotExist();
    }

    @Test
    void uninstallKeepsTheStateUnlessPurged() throws Exception {
        install("--server", "https://tether.example").assertExit(0);
        Files.writeString(root.resolve("var/lib/tether-agent/agent.key"), "key");

        install("--uninstall").assertExit(0);
        assertThat(root.resolve("opt/tether-agent")).doesNotExist();
        assertThat(root.resolve("etc/systemd/system/tether-agent.service")).doesNotExist();
        assertThat(root.resolve("usr/local/bin/tether-agent")).doesNotExist();
        assertThat(root.resolve("var/lib/tether-agent/agent.key")).exists();
        assertThat(root.resolve("etc/tether/agent.env")).exists();

        install("--uninstall", "--purge").assertExit(0);
        assertThat(root.resolve("var/lib/tether-agent")).doesNotExist();
        assertThat(root.resolve("etc/tether")).doesNotExist();
    }

    private void assertRefused(List<String> flags, String message) throws IOException, InterruptedException {
        Commands.Result result = Commands.run(args(flags.toArray(String[]::new)), Map.of(), null,
                Duration.ofSeconds(30));
        assertThat(result.exit()).as("exit of %s", flags).isEqualTo(2);
        assertThat(result.err()).as("error of %s", flags).contains(message);
    }

    private Commands.Result install(String... flags) throws IOException, InterruptedException {
        return Commands.run(args(flags), Map.of(), null, Duration.ofSeconds(60));
    }

    private List<String> args(String... flags) {
        List<String> args = new ArrayList<>(List.of(script.toString(), "--root", root.toString()));
        args.addAll(List.of(flags));
        return args;
    }
}
