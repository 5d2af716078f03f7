package dev.tether.cli;

import dev.tether.agent.control.ControlClient;
import dev.tether.agent.control.StatusReport;
import dev.tether.agent.json.Json;
import dev.tether.agent.state.StateSnapshot;
import dev.tether.agent.state.StateStoreException;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code tether agent status}: the agent's status, from the running agent or from its state when stopped. */
@Command(name = "status", mixinStandardHelpOptions = true, versionProvider = Version.class,
        description = {"Show this host's agent: connected or not and since when, server, agent id and name, session, "
                + "configuration applied, outbox depth and oldest pending, last connection errors, recent starts.",
                "Asks the running agent over its control socket (STATE_DIR/agent.sock, mode 0600; the agent "
                        + "listens on no network port), or reads the state database when the agent is stopped. "
                        + "Run it as the agent's user or as root.",
                "Exit status: 0 running and connected, 3 running but not connected, 4 not running, 1 an error."},
        exitCodeListHeading = "%n")
final class AgentStatusCommand implements Callable<Integer> {

    static final int NOT_CONNECTED = 3;
    static final int NOT_RUNNING = 4;

    @Spec
    CommandSpec spec;

    @Option(names = "--state-dir", paramLabel = "DIR",
            description = "The agent's state dir (default: the agent's, /var/lib/tether-agent as root, else "
                    + "~/.local/state/tether-agent; $TETHER_AGENT_STATE_DIR).")
    Path stateDir;

    @Option(names = "--json", description = "Print the status as one JSON object.")
    boolean json;

    @Override
    public Integer call() throws IOException {
        Path dir = (stateDir != null ? stateDir : AgentCommand.defaultStateDir()).toAbsolutePath();
        PrintWriter out = spec.commandLine().getOut();
        String report;
        try {
            report = new ControlClient(dir, Duration.ofSeconds(10)).status();
        } catch (ControlClient.NotRunning e) {
            try {
                report = Json.object(StatusReport.stopped(dir, StateSnapshot.read(dir)));
            } catch (StateStoreException stateError) {
                return fail(stateError.getMessage());
            }
        } catch (ControlClient.Denied e) {
            return fail(e.getMessage());
        } catch (ControlClient.Refused | IOException e) {
            return fail("could not ask the agent: " + e.getMessage());
        }
        AgentStatusText status = AgentStatusText.parse(report);
        out.println(json ? report : status.render(System.currentTimeMillis()));
        out.flush();
        return !status.running() ? NOT_RUNNING : status.connected() ? 0 : NOT_CONNECTED;
    }

    private int fail(String message) {
        PrintWriter err = spec.commandLine().getErr();
        err.println("tether: " + message);
        err.flush();
        return ErrorReporter.FAILURE;
    }
}
