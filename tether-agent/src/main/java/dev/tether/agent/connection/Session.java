package dev.tether.agent.connection;

import dev.tether.agent.connection.websocket.WebSocket;
import dev.tether.agent.connection.websocket.WebSocket.Inbound;
import dev.tether.agent.metrics.HostMetrics;
import dev.tether.agent.state.StateStoreException;
import dev.tether.protocol.CloseCodes;
import dev.tether.protocol.FrameCodec;
import dev.tether.protocol.Limits;
import dev.tether.protocol.Peer;
import dev.tether.protocol.ProtocolException;
import dev.tether.protocol.ProtocolVersion;
import dev.tether.protocol.Receipt;
import dev.tether.protocol.ReliableChannel;
import dev.tether.protocol.v1.Envelope;
import dev.tether.protocol.v1.GoAway;
import dev.tether.protocol.v1.Heartbeat;
import dev.tether.protocol.v1.Welcome;
import java.io.IOException;
import java.net.SocketTimeoutException;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One connection to the server, from the upgrade to the close: the handshake,
 * then a reader (the thread that calls {@link #run()}, which reads the socket
 * itself), a {@link Writer} thread that writes it, and a watchdog thread that
 * sends the heartbeats.
 *
 * <p>The reader handles frames in order: acks go to the channel; a reliable
 * payload is checked for order, applied with its seq in one transaction by the
 * {@link Receiver}, then acknowledged; shell payloads go to the {@link ShellTraffic},
 * which never blocks on a PTY. No frame from the server for
 * {@link Limits#MISSED_HEARTBEATS} heartbeat intervals ends the session (the
 * read times out). Shell sessions are told when the session is established and
 * when it ends (they detach).
 *
 * <p>The watchdog also ends what a blocking socket cannot time out itself: a
 * send blocked longer than the write timeout (the server stopped reading; checked
 * every quarter of that timeout) and a close handshake the server does not answer
 * within {@link #CLOSE_GRACE}. Either way it aborts the socket, which unblocks the
 * reader and the writer. It never waits for the agent's disk: a publish stalled
 * there (a hung fsync, another process holding {@code agent.db}'s lock) holds
 * up the publishers only, and heartbeats and shell frames keep going out.
 *
 * <p>Every way a session ends goes through {@link #fail}, which runs once: it
 * records the {@link SessionEnd} and has the writer stop, its last frame the close
 * frame. {@link #run()} then waits for the server's close (at most {@link #CLOSE_GRACE};
 * not at all when the socket failed, the server closed first, or the close frame
 * could not be sent, since no handshake can follow and the wait would only delay
 * the reconnect), ends the channel's session and returns the end.
 *
 * <p>Thread safe where it must be: {@link #stop}, {@link #wake} and
 * {@link #fail} may be called from any thread; the rest belongs to the reader.
 */
final class Session {

    /** How long the close handshake may take before the connection is cut. */
    static final Duration CLOSE_GRACE = Duration.ofSeconds(2);
    /** Floor of the heartbeat interval, whatever the server asks: keeps a misconfigured server from a hot loop. */
    static final Duration MIN_HEARTBEAT_INTERVAL = Duration.ofMillis(50);

    private static final Logger log = LoggerFactory.getLogger(Session.class);
    /** The read past the deadline before the server counts as gone (see {@link #run()}). */
    private static final long LAST_LOOK_NANOS = TimeUnit.MILLISECONDS.toNanos(1);

    /** Told about the session's progress; called on the reader thread. */
    interface Listener {
        void established(Session session, Welcome welcome);

        void acknowledged();
    }

    private final WebSocket socket;
    private final ReliableChannel channel;
    private final Receiver receiver;
    private final ShellTraffic shells;
    private final HostMetrics metrics;
    private final Listener listener;
    private final Envelope hello;
    private final FrameCodec codec = FrameCodec.receivingFrom(Peer.SERVER);
    private final Writer writer;

    /** Set once, by {@link #fail}. */
    private final AtomicReference<Ending> end = new AtomicReference<>();
    /** Set when the socket failed under a read or a write: {@link #finish} then cuts at once. */
    private volatile boolean linkBroken;
    /** Set by the reader when the server's close arrived: no frame follows. */
    private boolean inputClosed;
    /** Written by the reader; read by the connection manager and the watchdog. */
    private volatile boolean established;
    private volatile long heartbeatIntervalNanos;
    private volatile long welcomeNanos;
    private volatile long lastHeartbeatAckNanos;
    /** Owned by the reader thread. */
    private long lastFrameNanos;
    private Thread writerThread;
    /** Written by the reader before {@link #fail} can need it (it starts the thread first); read by any. */
    private volatile Thread watchdogThread;
    /** Set by {@link #finish} to end the watchdog. */
    private volatile boolean finished;

    Session(WebSocket socket, ReliableChannel channel, Receiver receiver, ShellTraffic shells, HostMetrics metrics,
            Clock clock, Envelope hello, Listener listener) {
        this.socket = socket;
        this.channel = channel;
        this.receiver = receiver;
        this.shells = shells;
        this.metrics = metrics;
        this.hello = hello;
        this.listener = listener;
        this.writer = new Writer(socket, channel, shells, clock, (reason, linkBroken) -> {
            fail(new SessionEnd.Failed(reason), CloseCodes.INTERNAL_ERROR, reason);
            if (linkBroken) {
                cut();
            }
        });
    }

    /** Runs the session on the calling thread (the reader) until it ends. */
    SessionEnd run() {
        writerThread = start("tether-writer", writer);
        watchdogThread = start("tether-heartbeat", this::watch);
        writer.sendControl(hello);
        lastFrameNanos = System.nanoTime();
        long handshakeDeadline = lastFrameNanos + Limits.HANDSHAKE_TIMEOUT.toNanos();
        try {
            while (end.get() == null) {
                long deadline = established
                        ? lastFrameNanos + Limits.MISSED_HEARTBEATS * heartbeatIntervalNanos
                        : handshakeDeadline;
                // Past the deadline the socket is still read once, briefly: a reader held up by its own work (an
                // apply or a delete waiting for the disk) finds there what the server sent meanwhile.
                long left = Math.max(deadline - System.nanoTime(), LAST_LOOK_NANOS);
                dispatch(socket.receive(left));
            }
        } catch (SocketTimeoutException e) {
            timedOut();
        } catch (IOException e) {
            linkBroken = true;
            fail(new SessionEnd.Failed("connection lost: " + Dialer.reason(e)), 0, null);
        } catch (ProtocolException e) {
            fail(new SessionEnd.Failed("protocol error: " + e.getMessage()), e.closeCode(), e.closeReason());
        } catch (StateStoreException e) {
            log.error("the agent state store failed; dropping the connection", e);
            fail(new SessionEnd.Failed("state store failed: " + e.getMessage()), CloseCodes.INTERNAL_ERROR,
                    "agent state store failed");
        } catch (RuntimeException | Error e) {
            // An Error too: the payload's transaction was rolled back, so the next session replays it.
            log.error("unexpected failure in the connection reader", e);
            fail(new SessionEnd.Failed("unexpected error: " + e), CloseCodes.INTERNAL_ERROR, "agent internal error");
        } finally {
            finish();
        }
        return end.get().why();
    }

    private void dispatch(Inbound inbound) throws ProtocolException {
        if (inbound instanceof Inbound.Closed closed) {
            inputClosed = true;
            // The close is echoed; the server's code and reason say why the session ended.
            fail(new SessionEnd.Closed(closed.code(), closed.reason()), CloseCodes.NORMAL, "");
            return;
        }
        if (end.get() != null) {
            // Another thread ended the session while this frame was read: it is not handled.
            return;
        }
        lastFrameNanos = System.nanoTime();
        if (inbound instanceof Inbound.Message message) {
            if (established) {
                handle(message.data());
            } else {
                handshake(message.data());
            }
        }
    }

    private void timedOut() {
        if (!established) {
            fail(new SessionEnd.Failed("no Welcome within " + Limits.HANDSHAKE_TIMEOUT.toSeconds() + " s"),
                    CloseCodes.HANDSHAKE_TIMEOUT, "no welcome within " + Limits.HANDSHAKE_TIMEOUT.toSeconds() + " s");
            return;
        }
        long silentMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - lastFrameNanos);
        fail(new SessionEnd.Failed("no frame from the server for " + silentMillis + " ms ("
                        + Limits.MISSED_HEARTBEATS + " heartbeat intervals): dead peer"),
                CloseCodes.DEAD_PEER, "no frame for " + silentMillis + " ms");
    }

    // ------------------------------------------------------------------ handshake

    private void handshake(byte[] frame) throws ProtocolException {
        Envelope envelope = codec.decode(frame).envelope();
        switch (envelope.getPayloadCase()) {
            case WELCOME -> establish(envelope.getWelcome());
            case GO_AWAY -> goAway(envelope.getGoAway());
            default -> throw new ProtocolException(CloseCodes.PROTOCOL_ERROR,
                    "expected welcome, got " + envelope.getPayloadCase().name().toLowerCase());
        }
    }

    private void establish(Welcome welcome) throws ProtocolException {
        int version = welcome.getProtocolVersion();
        if (version < ProtocolVersion.MIN || version > ProtocolVersion.MAX) {
            throw new ProtocolException(CloseCodes.UNSUPPORTED_VERSION, "server chose protocol version " + version
                    + "; this agent speaks " + ProtocolVersion.MIN + ".." + ProtocolVersion.MAX);
        }
        ReliableChannel.Resumption resumption = channel.resume(welcome.getAppliedAgentSeq(),
                welcome.getAppliedAgentStamp(), welcome.getResumeServerSeq());
        if (resumption.lostByPeerReset() > 0) {
            log.warn("this agent's state is older than the server's (restored from a copy?): {} payload(s) the "
                    + "server already deleted were never applied here", resumption.lostByPeerReset());
        }
        if (resumption.diverged()) {
            log.warn("the server applied a history of this agent's payloads up to seq {} that this agent's state "
                    + "does not hold (the state dir was restored from an older copy, or copied from another "
                    + "agent); {} unacknowledged payload(s) are renumbered to follow it and sent, none dropped "
                    + "(the server may see a few it already applied once more)", welcome.getAppliedAgentSeq(),
                    resumption.renumbered());
        }
        receiver.welcomed(welcome);
        heartbeatIntervalNanos = heartbeatInterval(welcome).toNanos();
        welcomeNanos = System.nanoTime();
        established = true;
        shells.connected(writer::wake, writer::writeOrWake);
        listener.established(this, welcome);
        LockSupport.unpark(watchdogThread);
        writer.wake();
    }

    static Duration heartbeatInterval(Welcome welcome) {
        if (welcome.getHeartbeatIntervalMs() == 0) {
            return Limits.DEFAULT_HEARTBEAT_INTERVAL;
        }
        Duration asked = Duration.ofMillis(Integer.toUnsignedLong(welcome.getHeartbeatIntervalMs()));
        return asked.compareTo(MIN_HEARTBEAT_INTERVAL) < 0 ? MIN_HEARTBEAT_INTERVAL : asked;
    }

    // ------------------------------------------------------------------ reading

    private void handle(byte[] frame) throws ProtocolException {
        FrameCodec.Decoded decoded = codec.decode(frame);
        Envelope envelope = decoded.envelope();
        if (envelope.getAck() > 0) {
            // The writer is woken by what is published; an ack only matters to it when the window was full.
            if (channel.onAck(envelope.getAck())) {
                writer.wake();
            }
            listener.acknowledged();
        }
        if (decoded.unknownPayload()) {
            if (envelope.getSeq() > 0) {
                reliable(envelope, true);
            } else {
                receiver.ignore(envelope, true);
            }
            return;
        }
        switch (envelope.getPayloadCase()) {
            case HEARTBEAT_ACK -> {
                lastHeartbeatAckNanos = System.nanoTime();
                deleteAcknowledged();
            }
            case ACK_ONLY, PAYLOAD_NOT_SET -> {
                // Only the ack, handled above.
            }
            case GO_AWAY -> goAway(envelope.getGoAway());
            case WELCOME -> throw new ProtocolException(CloseCodes.PROTOCOL_ERROR, "a second welcome in one session");
            case CONFIG_UPDATE, COMMAND, CANCEL_JOB -> reliable(envelope, false);
            case SHELL_OPEN, SHELL_INPUT, SHELL_RESIZE, SHELL_CLOSE, SHELL_CREDIT -> shells.receive(envelope);
            default -> receiver.ignore(envelope, false);
        }
    }

    private void reliable(Envelope envelope, boolean unknownPayload) throws ProtocolException {
        if (channel.receive(envelope.getSeq()) == Receipt.APPLY) {
            receiver.apply(envelope, unknownPayload);
            channel.markApplied(envelope.getSeq(), envelope.getStamp());
            writer.wake();
        } else {
            writer.requestAck();
        }
    }

    private void goAway(GoAway goAway) {
        Duration after = Duration.ofMillis(Integer.toUnsignedLong(goAway.getReconnectAfterMs()));
        fail(new SessionEnd.GoAway(after, goAway.getReason()), CloseCodes.NORMAL, "going away as asked");
    }

    // ------------------------------------------------------------------ the watchdog

    /**
     * The watchdog thread, until {@link #finish}: once established, a heartbeat every interval; a send stalled
     * past the write timeout, or a close the server has not answered {@link #CLOSE_GRACE} after the end, cuts
     * the socket. Wakes for the next heartbeat or every quarter of the write timeout, whichever is sooner.
     */
    private void watch() {
        long tick = Math.max(1, socket.writeTimeout().toNanos() / 4);
        long nextHeartbeat = 0;
        boolean heartbeating = false;
        try {
            while (!finished) {
                long now = System.nanoTime();
                long wake = now + tick;
                if (socket.writeStalled()) {
                    String reason = "a write did not complete within " + socket.writeTimeout().toMillis() + " ms";
                    fail(new SessionEnd.Failed(reason), 0, null);
                    cut();
                }
                Ending ending = end.get();
                if (ending != null) {
                    long cutAt = ending.atNanos() + CLOSE_GRACE.toNanos();
                    if (now - cutAt >= 0) {
                        cut();
                        return;
                    }
                    wake = cutAt;
                } else if (established) {
                    if (!heartbeating || now - nextHeartbeat >= 0) {
                        heartbeating = true;
                        writer.sendControl(Envelope.newBuilder().setHeartbeat(heartbeat()).build());
                        nextHeartbeat = now + heartbeatIntervalNanos;
                    }
                    wake = nextHeartbeat - wake < 0 ? nextHeartbeat : wake;
                }
                LockSupport.parkNanos(this, wake - System.nanoTime());
            }
        } catch (RuntimeException | Error e) {
            log.error("heartbeat failed", e);
            fail(new SessionEnd.Failed("heartbeat failed: " + e), CloseCodes.INTERNAL_ERROR, "agent internal error");
        }
    }

    /**
     * Acknowledged payloads are deleted by the next append; when none comes (the agent went quiet) the reader
     * deletes them at each heartbeat's answer and at the end of the session, unless another write holds the
     * store (see {@link ReliableChannel#deleteAcknowledged}). Never on the watchdog, which must not wait for the
     * disk. A failure is logged: the next try or append tries again, and nothing pending depends on it.
     */
    private void deleteAcknowledged() {
        try {
            channel.deleteAcknowledged();
        } catch (StateStoreException e) {
            log.warn("could not delete acknowledged payloads (tried again later): {}", e.getMessage());
        }
    }

    private Heartbeat heartbeat() {
        return metrics.sample(channel.depth()).toBuilder()
                .setShellSessions(shells.sessionCount())
                .setShellBufferedPeakBytes(shells.takeBufferedPeak())
                .build();
    }

    // ------------------------------------------------------------------ state for the manager

    boolean established() {
        return established && end.get() == null;
    }

    /**
     * Whether the session was healthy, which resets the reconnect backoff: the
     * handshake completed and the server answered a heartbeat at least one full
     * heartbeat interval after the Welcome (the first heartbeat goes out at once,
     * the second one interval later).
     */
    boolean healthy() {
        long ack = lastHeartbeatAckNanos;
        return welcomeNanos != 0 && ack != 0 && ack - welcomeNanos >= heartbeatIntervalNanos;
    }

    void wake() {
        writer.wake();
    }

    /** Ends the session gracefully: close 1000 "agent stopping". */
    void stop() {
        fail(new SessionEnd.Stopped(), CloseCodes.NORMAL, "agent stopping");
    }

    // ------------------------------------------------------------------ ending

    /** How and when ({@code System.nanoTime()}) the session ended. */
    private record Ending(SessionEnd why, long atNanos) {
    }

    /**
     * The one way a session ends; only the first call counts.
     *
     * @param closeCode the close code to send, or 0 to send none (the socket failed)
     */
    void fail(SessionEnd why, int closeCode, String closeReason) {
        if (!end.compareAndSet(null, new Ending(why, System.nanoTime()))) {
            return;
        }
        writer.close(closeCode, closeReason);
        Thread watchdog = watchdogThread;
        if (watchdog != null) {
            LockSupport.unpark(watchdog);
        }
    }

    /** The socket failed or must be given up: no close handshake can follow. */
    private void cut() {
        linkBroken = true;
        socket.abort();
    }

    private void finish() {
        long graceEnd = end.get().atNanos() + CLOSE_GRACE.toNanos();
        // The writer's last frame is the close frame; a writer still blocked in a send is cut below.
        join(writerThread, graceEnd);
        established = false;
        shells.disconnected();
        channel.end();
        deleteAcknowledged();
        // A close handshake needs our close frame out and the server's input open; when the socket failed, the
        // server closed first or the close frame could not be sent there is none to wait for, and waiting would
        // only delay the reconnect (a cut link, a dead server).
        if (!linkBroken && !inputClosed) {
            awaitServerClose(graceEnd);
        }
        finished = true;
        LockSupport.unpark(watchdogThread);
        socket.abort();
        join(watchdogThread, System.nanoTime() + CLOSE_GRACE.toNanos());
    }

    private void awaitServerClose(long deadline) {
        try {
            while (!inputClosed) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    log.debug("no close from the server within {} ms; cutting the connection", CLOSE_GRACE.toMillis());
                    return;
                }
                inputClosed = socket.receive(left) instanceof Inbound.Closed;
            }
        } catch (IOException | ProtocolException e) {
            log.debug("no close handshake ({}); cutting the connection", e.getMessage());
        }
    }

    private static Thread start(String name, Runnable task) {
        Thread thread = new Thread(task, name);
        thread.setDaemon(true);
        thread.start();
        return thread;
    }

    /** Waits for {@code thread} to end until {@code deadline}, then interrupts it. */
    private static void join(Thread thread, long deadline) {
        try {
            thread.join(Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime())));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        thread.interrupt();
    }
}
