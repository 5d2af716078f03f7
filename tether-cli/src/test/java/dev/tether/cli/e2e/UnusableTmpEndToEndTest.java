package dev.tether.cli.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.tether.server.testing.RequiredTool;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.io.TempDir;

/**
 * A host whose {@code /tmp} is mounted {@code noexec}, as hardening guides ask: sqlite-jdbc, Netty and pty4j
 * unpack their native libraries into {@code java.io.tmpdir} by default, so the agent could not open its state,
 * the server could not open its database, and Netty fell back to NIO. The server and the agent run here in a
 * mount namespace of their own ({@code unshare}) whose {@code java.io.tmpdir} is a {@code noexec} tmpfs, and so
 * do the CLI commands that open SQLite themselves: {@code tether backup} and {@code tether agent status}.
 */
class UnusableTmpEndToEndTest {

    private static final Duration WAIT = Duration.ofSeconds(30);

    @TempDir
    Path dir;
    Fleet fleet;
    Path tmp;
    List<String> noexecTmp;

    @BeforeEach
    void setUp(TestInfo test) throws Exception {
        fleet = new Fleet(dir, "UnusableTmpEndToEndTest/" + test.getTestMethod().orElseThrow().getName(), null,
                "1s");
        tmp = Files.createDirectory(dir.resolve("noexec-tmp"));
        noexecTmp = List.of("unshare", "--map-root-user", "--mount", "/bin/sh", "-c",
                "mount -t tmpfs -o noexec,size=64m tmpfs \"$1\" && shift && exec \"$@\"", "sh", tmp.toString());
        RequiredTool.require(works(noexecTmp), "UnusableTmpEndToEndTest",
                "unshare(1) cannot mount a tmpfs in a user namespace here (util-linux, and user namespaces enabled)");
        fleet.startingUnder(noexecTmp);
    }

    @AfterEach
    void stopFleet() throws Exception {
        fleet.close();
    }

    @Test
    void theServerTheAgentAndTheCliUnpackNativeCodeIntoDirectoriesOfTheirOwn() throws Exception {
        Map<String, String> env = Map.of("JAVA_TOOL_OPTIONS", "-Djava.io.tmpdir=" + tmp);
        JavaProcess server = fleet.launchServer(env);
        fleet.awaitReady();
        assertThat(server.output()).contains("network transport: epoll");
        assertThat(sqliteLibraries(dir.resolve("server"))).as("unpacked beside tether.db").hasSize(1);

        Fleet.AgentIdentity agent = fleet.createAgent("hardened");
        JavaProcess agentProcess = fleet.startAgent(agent, fleet.url(), env, "--enable-shell", "--shell", "/bin/sh");
        await("hardened online").atMost(WAIT).until(() -> "online".equals(fleet.api().status(agent.id())));
        assertThat(sqliteLibraries(agent.stateDir())).as("unpacked in the state dir").hasSize(1);

        Fleet.CliResult shell = fleet.cli("shell", agent.name(), "--", "sh", "-c", "echo native-$((6*7))");
        assertThat(shell.exit()).as(shell.output()).isZero();
        assertThat(shell.output()).contains("native-42");

        // `tether backup` checks its copy with SQLite on the operator's machine, hardened the same way.
        Path copy = dir.resolve("backup.db");
        JavaProcess backup = JavaProcess.start("backup", fleet.logDir(), Map.of("JAVA_TOOL_OPTIONS",
                "-Djava.io.tmpdir=" + tmp, "TETHER_URL", fleet.url().toString(), "TETHER_TOKEN", Fleet.ADMIN_TOKEN),
                Fleet.MAIN, List.of("backup", copy.toString()), null, noexecTmp);
        assertThat(backup.waitForExit(WAIT)).as(backup.output()).isZero();
        assertThat(backup.output()).contains("integrity ok");
        assertThat(sqliteLibraries(dir)).as("unpacked beside the copy, deleted at exit").isEmpty();

        // `tether agent status` of a stopped agent reads agent.db itself.
        agentProcess.stop();
        JavaProcess status = JavaProcess.start("status", fleet.logDir(), env, Fleet.MAIN,
                List.of("agent", "status", "--state-dir", agent.stateDir().toString()), null, noexecTmp);
        assertThat(status.waitForExit(WAIT)).as(status.output()).isEqualTo(4);
        assertThat(status.output()).contains("hardened", "no (last run: version", "outbox        empty");
    }

    @Test
    void anAgentThatCannotLoadSqliteSaysWhereItTriedAndWhatToDo() throws Exception {
        fleet.startServer();
        Fleet.AgentIdentity agent = fleet.createAgent("no-sqlite");
        JavaProcess process = fleet.startAgent(agent, fleet.url(),
                Map.of("JAVA_TOOL_OPTIONS", "-Dorg.sqlite.tmpdir=" + tmp));

        assertThat(process.waitForExit(WAIT)).isNotZero();
        assertThat(process.output())
                .contains("cannot open the agent state in " + agent.stateDir().toAbsolutePath())
                .contains("SQLite's native library could not be unpacked into " + tmp)
                .contains("--state-dir where the agent's user may write and run files")
                .contains("-Dorg.sqlite.tmpdir=DIR");
    }

    private static boolean works(List<String> prefix) throws Exception {
        try {
            List<String> probe = new ArrayList<>(prefix);
            probe.add("true");
            Process process = new ProcessBuilder(probe).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            return process.waitFor(10, TimeUnit.SECONDS) && process.exitValue() == 0;
        } catch (IOException e) {
            return false;
        }
    }

    private static List<Path> sqliteLibraries(Path dir) throws Exception {
        try (var files = Files.list(dir)) {
            return files.filter(f -> f.getFileName().toString().matches("sqlite-.*-libsqlitejdbc\\.so")).toList();
        }
    }
}
