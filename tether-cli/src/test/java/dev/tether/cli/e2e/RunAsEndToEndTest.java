package dev.tether.cli.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code tether agent --run-as nobody}, end to end with a real root agent: its
 * jobs and shells run as nobody and can read neither the agent's key file, its
 * state dir, nor its environment ({@code /proc/<agent>/environ}), and the key is
 * not in their environment. Needs root; skipped with a message otherwise (and
 * fails under {@code CI=true}, where the tests run as root).
 */
class RunAsEndToEndTest {

    private static final Duration WAIT = Duration.ofSeconds(20);
    private static final String NOBODY_UID = "65534";

    @TempDir
    Path dir;
    Fleet fleet;

    @BeforeEach
    void startServer(TestInfo test) throws Exception {
        boolean root = "root".equals(System.getProperty("user.name"));
        if ("true".equals(System.getenv("CI"))) {
            assertThat(root).as("CI runs the tests as root, which --run-as needs").isTrue();
        }
        assumeTrue(root, "--run-as tests need root (the agent switches users): run the build as root to include them");
        fleet = new Fleet(dir, "RunAsEndToEndTest/" + test.getTestMethod().orElseThrow().getName(), null, "1s");
        fleet.startServer();
    }

    @AfterEach
    void stopFleet() throws Exception {
        if (fleet != null) {
            fleet.close();
        }
    }

    /** An agent holding its key both in a key file and in its environment, as an operator might start it. */
    private JavaProcess agent(Fleet.AgentIdentity agent, String... flags) throws Exception {
        String key = Files.readString(agent.keyFile()).strip();
        JavaProcess process = fleet.startAgent(agent, fleet.url(), Map.of("TETHER_AGENT_KEY", key), flags);
        await(agent.name() + " online").atMost(WAIT).until(() -> "online".equals(fleet.api().status(agent.id())));
        return process;
    }

    /** A shell script printing what a child can see of the agent, one {@code name=value} line each. */
    private static String probe(Fleet.AgentIdentity agent, JavaProcess process) throws Exception {
        String key = Files.readString(agent.keyFile()).strip();
        return "echo uid=$(id -u); "
                + "echo key-file=$(cat " + agent.keyFile() + " >/dev/null 2>&1 && echo readable || echo denied); "
                + "echo state-dir=$(ls " + agent.stateDir() + " >/dev/null 2>&1 && echo readable || echo denied); "
                + "echo agent-environ=$(cat /proc/" + process.pid() + "/environ >/dev/null 2>&1 && echo readable "
                + "|| echo denied); "
                + "echo key-in-env=$(env | grep -c -e " + key + " -e TETHER_AGENT_KEY); "
                + "echo home=$HOME user=$USER";
    }

    @Test
    void aJobRunningAsNobodyCannotReadTheAgentsKeyStateDirOrEnvironment() throws Exception {
        Fleet.AgentIdentity agent = fleet.createAgent("confined");
        JavaProcess process = agent(agent, "--run-as", "nobody");

        Fleet.CliResult run = fleet.cli("run", "--agent", agent.name(), "--", "/bin/sh", "-c", probe(agent, process));

        assertThat(run.exit()).as(run.output()).isZero();
        assertThat(run.output()).contains("uid=" + NOBODY_UID, "key-file=denied", "state-dir=denied",
                "agent-environ=denied", "key-in-env=0", "home=/nonexistent user=nobody");
    }

    @Test
    void withoutRunAsAJobCanReadTheAgentsKeyFileAndEnvironmentButNotTheKeyInItsOwn() throws Exception {
        Fleet.AgentIdentity agent = fleet.createAgent("unconfined");
        JavaProcess process = agent(agent);

        Fleet.CliResult run = fleet.cli("run", "--agent", agent.name(), "--", "/bin/sh", "-c", probe(agent, process));

        assertThat(run.exit()).as(run.output()).isZero();
        assertThat(run.output()).contains("uid=0", "key-file=readable", "state-dir=readable",
                "agent-environ=readable", "key-in-env=0");
    }

    @Test
    void aShellRunningAsNobodyOwnsItsTerminalAndCannotReadTheAgentsKeyStateDirOrEnvironment() throws Exception {
        Fleet.AgentIdentity agent = fleet.createAgent("confined-shell");
        JavaProcess process = agent(agent, "--run-as", "nobody", "--enable-shell", "--shell", "/bin/sh");
        TerminalClient client = TerminalClient.open(fleet.url(), Fleet.ADMIN_TOKEN, agent.id(), "rows=24&cols=80");
        client.awaitControl("ready", WAIT);

        client.type(probe(agent, process) + "; echo tty=$(tty) owner=$(stat -c %u $(tty)); echo done-$((6*7))\r");
        client.awaitOutput("done-42", WAIT);
        client.type("exit\r");

        assertThat(client.tail()).contains("uid=" + NOBODY_UID, "key-file=denied", "state-dir=denied",
                "agent-environ=denied", "key-in-env=0", "user=nobody", "tty=/dev/pts/", "owner=" + NOBODY_UID);
        assertThat(client.closed().get(10, TimeUnit.SECONDS)).isEqualTo(1000);
    }

    @Test
    void anUnknownUserOrAStateDirTheUserCanReadIsRefusedAtStart() throws Exception {
        Fleet.AgentIdentity agent = fleet.createAgent("refused");
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx--x--x"));
        Path open = Files.createDirectories(dir.resolve("open-state"));
        Files.setPosixFilePermissions(open, PosixFilePermissions.fromString("rwxr-xr-x"));
        Files.setPosixFilePermissions(agent.keyFile(), PosixFilePermissions.fromString("rw-------"));
        List<String> common = List.of("--server", fleet.url().toString(), "--insecure",
                "--key-file", agent.keyFile().toString());

        JavaProcess unknown = fleet.startAgentWith("unknown", concat(common, "--state-dir",
                agent.stateDir().toString(), "--run-as", "tether-no-such-user"));
        JavaProcess readable = fleet.startAgentWith("readable", concat(common, "--state-dir", open.toString(),
                "--run-as", "nobody"));

        assertThat(unknown.waitForExit(WAIT)).as(unknown.output()).isEqualTo(2);
        assertThat(unknown.output()).contains("--run-as tether-no-such-user: no such user");
        assertThat(readable.waitForExit(WAIT)).as(readable.output()).isEqualTo(2);
        assertThat(readable.output()).contains("nobody can read " + open.toAbsolutePath(), "chmod 700");
    }

    private static List<String> concat(List<String> first, String... more) {
        List<String> all = new java.util.ArrayList<>(first);
        all.addAll(List.of(more));
        return all;
    }
}
