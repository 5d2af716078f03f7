package dev.tether.agent.shell;

import com.google.protobuf.ByteString;
import dev.tether.agent.process.ProcessGroup.Signal;
import dev.tether.protocol.v1.Envelope;
import dev.tether.protocol.v1.ShellExit;
import dev.tether.protocol.v1.ShellOutput;
import dev.tether.protocol.v1.ShellReady;
import java.util.HexFormat;
import java.util.Set;

/** The agent's shell frames, built in one place (docs/protocol.md, "Shell sessions"). Stateless. */
final class ShellFrames {

    /** Shell death by signal N is exit status 128 + N, as pty4j (like every Unix shell) reports it. */
    private static final int SIGNAL_STATUS_BASE = 128;

    private ShellFrames() {
    }

    static Envelope ready(ByteString sessionId, long pid, long outputOffset, boolean attached) {
        return Envelope.newBuilder().setShellReady(ShellReady.newBuilder()
                .setSessionId(sessionId).setPid(pid).setOutputOffset(outputOffset).setAttached(attached)).build();
    }

    static Envelope output(ByteString sessionId, byte[] data, long offset) {
        return Envelope.newBuilder().setShellOutput(ShellOutput.newBuilder()
                .setSessionId(sessionId).setData(ByteString.copyFrom(data)).setOffset(offset)).build();
    }

    /**
     * The exit frame. pty4j reports a death by signal N as status 128 + N, which an
     * {@code exit 130} also gives; so the signal is named only when the agent sent
     * that signal itself (close, idle timeout, agent stop). The exit code is the
     * status either way.
     */
    static Envelope exit(ByteString sessionId, int status, Set<Signal> sent) {
        ShellExit.Builder exit = ShellExit.newBuilder().setSessionId(sessionId).setExitCode(status);
        for (Signal signal : sent) {
            if (status == SIGNAL_STATUS_BASE + signal.number()) {
                exit.setSignal(signal.fullName());
            }
        }
        return Envelope.newBuilder().setShellExit(exit).build();
    }

    /** The first 8 hex digits of an id, for logs and thread names. */
    static String shortName(ByteString sessionId) {
        String hex = HexFormat.of().formatHex(sessionId.toByteArray());
        return hex.length() <= 8 ? hex : hex.substring(0, 8);
    }
}
