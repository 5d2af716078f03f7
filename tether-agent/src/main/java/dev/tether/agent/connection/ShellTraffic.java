package dev.tether.agent.connection;

import com.google.protobuf.ByteString;
import dev.tether.protocol.v1.Envelope;
import java.util.List;

/**
 * The agent's shell sessions as the connection sees them (implemented by
 * {@code dev.tether.agent.shell.ShellRegistry}). Sessions outlive connections:
 * each {@link Session} tells the sessions when it is {@link #connected} and
 * {@link #disconnected}, hands them the server's shell payloads, and its
 * {@link Writer} takes their frames on its lowest-priority lane.
 *
 * <p>Implementations are thread safe. No method blocks on PTY I/O: {@link #receive}
 * runs on the connection's reader, {@link #nextFrame} under the writer's lock.
 */
public interface ShellTraffic {

    /**
     * A connection completed its handshake: shell frames may be sent from now on.
     *
     * @param wake tells the writer that frames are waiting; called without any lock of the sessions held
     * @param writeOrWake the same, except that while the writer thread is idle the calling thread writes the next
     *     frame itself (a PTY reader with output, one handoff fewer); called without any lock held, as it may
     *     block for that one write
     */
    void connected(Runnable wake, Runnable writeOrWake);

    /** Handles one server payload: ShellOpen, ShellInput, ShellResize, ShellClose or ShellCredit. */
    void receive(Envelope envelope);

    /** The next shell frame to write, or null when none is due. Called by the writer thread. */
    Envelope nextFrame();

    /** The writer wrote {@code frame}, which {@link #nextFrame} returned, to the socket. */
    void written(Envelope frame);

    /** Whether {@link #nextFrame} has a frame now. Called under the writer's lock. */
    boolean hasFrames();

    /**
     * The connection ended: every session is detached, and frames not yet written
     * are dropped (their offsets let the server resume exactly on the next connection).
     */
    void disconnected();

    /** The ids of the sessions a server may re-attach to, for the Hello. */
    List<ByteString> sessionIds();

    /** Sessions held now, attached or detached, for the heartbeat. */
    int sessionCount();

    /**
     * The most output bytes any one session had read from its PTY and not yet
     * written to the socket since the previous call, for the heartbeat.
     */
    long takeBufferedPeak();
}
