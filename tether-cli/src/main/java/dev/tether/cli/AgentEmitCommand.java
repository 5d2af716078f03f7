package dev.tether.cli;

import dev.tether.agent.control.ControlClient;
import dev.tether.agent.events.AgentEvents;
import dev.tether.agent.json.Json;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code tether agent emit TYPE [JSON|-]}: an event through the running agent's outbox, from a script or hook. */
@Command(name = "emit", mixinStandardHelpOptions = true, versionProvider = Version.class,
        description = {"Publish an event through the running agent's outbox, from a script or a hook (job started, "
                + "backup done): when this returns the event is on disk, and the agent delivers it to the server "
                + "exactly once, like the SDK's events, even if the server or the link is down now.",
                "Run it as the agent's user or as root. Exit status: 0 stored, 1 not stored (the agent is not "
                        + "running or refused it), 2 a bad type or JSON."})
final class AgentEmitCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Parameters(index = "0", paramLabel = "TYPE",
            description = "The event's type: 1 to 128 of letters, digits, '.', '_' and '-', e.g. job.started.")
    String type;

    @Parameters(index = "1", arity = "0..1", paramLabel = "JSON|-",
            description = "The event's JSON payload (default {}); - reads it from standard input.")
    String payload;

    @Option(names = "--state-dir", paramLabel = "DIR",
            description = "The agent's state dir (default: the agent's, /var/lib/tether-agent as root, else "
                    + "~/.local/state/tether-agent; $TETHER_AGENT_STATE_DIR).")
    Path stateDir;

    @Option(names = "--timeout", paramLabel = "DURATION", converter = Durations.class,
            description = "How long to wait for the agent to store it, e.g. 30s (default: 30s).")
    Duration timeout = Duration.ofSeconds(30);

    private final InputStream stdin;

    AgentEmitCommand() {
        this(System.in);
    }

    AgentEmitCommand(InputStream stdin) {
        this.stdin = stdin;
    }

    @Override
    public Integer call() throws IOException {
        AgentEvents.checkType(type);
        byte[] json = json();
        String problem = Json.problem(json);
        if (problem != null) {
            throw new IllegalArgumentException("the event's payload is not well-formed JSON: " + problem
                    + "; nothing was sent");
        }
        Path dir = stateDir != null ? stateDir : AgentCommand.defaultStateDir();
        try {
            new ControlClient(dir, timeout).emit(type, json);
            return 0;
        } catch (ControlClient.NotRunning e) {
            return fail(e.getMessage() + "; the event was not stored: start the agent (systemctl start "
                    + "tether-agent) and run this again");
        } catch (ControlClient.Denied e) {
            return fail(e.getMessage() + "; nothing was sent");
        } catch (ControlClient.Refused e) {
            return fail("the agent refused the event: " + e.getMessage());
        } catch (IOException e) {
            return fail(e.getMessage() + "; the event may or may not have been stored");
        }
    }

    /** The payload: the argument, standard input (read up to the limit, not forever), or {}. */
    private byte[] json() throws IOException {
        if (payload == null) {
            return "{}".getBytes(StandardCharsets.UTF_8);
        }
        byte[] bytes = payload.equals("-")
                ? stdin.readNBytes(AgentEvents.MAX_PAYLOAD_BYTES + 1)
                : payload.getBytes(StandardCharsets.UTF_8);
        if (bytes.length > AgentEvents.MAX_PAYLOAD_BYTES) {
            throw new IllegalArgumentException("the event's payload is larger than " + AgentEvents.MAX_PAYLOAD_BYTES
                    + " bytes; nothing was sent");
        }
        return bytes;
    }

    private int fail(String message) {
        PrintWriter err = spec.commandLine().getErr();
        err.println("tether: " + message);
        err.flush();
        return ErrorReporter.FAILURE;
    }
}
