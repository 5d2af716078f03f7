package dev.tether.agent.testing;

import static org.awaitility.Awaitility.await;

import com.google.protobuf.ByteString;
import dev.tether.agent.Agent;
import dev.tether.agent.AgentConfig;
import dev.tether.protocol.Limits;
import dev.tether.protocol.v1.Envelope;
import dev.tether.protocol.v1.ShellOpen;
import java.io.IOException;
import java.nio.file.Path;
import java.util.function.UnaryOperator;

/**
 * A fake server and a real agent serving shells from {@code /bin/sh}, with the
 * few steps shell tests repeat: open a session whose client keeps up with its
 * output, type a line, look up the program's pid.
 */
public final class ShellHarness implements AutoCloseable {

    public final FakeTetherServer server;
    public final ShellRecorder shells;
    public final Agent agent;

    private ShellHarness(FakeTetherServer server, Agent agent) {
        this.server = server;
        this.shells = server.shells();
        this.agent = agent;
    }

    /** An agent with shells enabled ({@code /bin/sh}), changed by {@code config}, connected. */
    public static ShellHarness start(Path stateDir, UnaryOperator<AgentConfig.Builder> config) throws IOException {
        FakeTetherServer server = FakeTetherServer.start();
        Agent agent = Agent.start(config.apply(server.agentConfig(stateDir).enableShell(true)
                .shellProgram("/bin/sh")).build());
        await().until(agent::connected);
        return new ShellHarness(server, agent);
    }

    public static ShellHarness start(Path stateDir) throws IOException {
        return start(stateDir, config -> config);
    }

    /** Opens {@code command} (none: the shell) with a client that keeps up; returns once it is ready. */
    public ByteString open(int rows, int cols, String... command) throws IOException {
        ByteString id = ShellMessages.newId();
        shells.autoCredit(id, true);
        send(ShellMessages.envelope(ShellMessages.open(id, rows, cols, Limits.SHELL_WINDOW_BYTES, command)));
        await().until(() -> !shells.readies(id).isEmpty());
        return id;
    }

    public ByteString open(String... command) throws IOException {
        return open(24, 80, command);
    }

    /** Attaches a client that has the output up to {@code resumeOffset} and keeps up from there. */
    public void attach(ByteString id, long resumeOffset) throws IOException {
        ShellOpen.Builder attach = ShellMessages.attach(id, resumeOffset, Limits.SHELL_WINDOW_BYTES);
        send(ShellMessages.envelope(attach));
    }

    /** Types {@code line} and Enter. */
    public void type(ByteString id, String line) throws IOException {
        send(ShellMessages.input(id, line + "\n"));
    }

    public void send(Envelope payload) throws IOException {
        server.sendLive(payload);
    }

    /** The pid the first ShellReady reported. */
    public long pid(ByteString id) {
        return shells.readies(id).get(0).getPid();
    }

    @Override
    public void close() throws IOException {
        agent.close();
        server.close();
    }
}
