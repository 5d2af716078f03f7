package dev.tether.agent.connection;

import dev.tether.agent.connection.WebSocketInbox.Inbound;
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
import java.net.http.WebSocket;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One connection to the server, from the upgrade to the close: the handshake,
 * then a reader (the thread that calls {@link #run()}), a {@link Writer} thread
 * and a heartbeat thread.
 *
 * <p>The reader handles frames in order: acks go to the channel; a reliable
 * payload is checked for order, applied with its seq in one transaction by the
 * {@link Receiver}, then acknowledged; shell payloads go to the {@link ShellTraffic},
 * which never blocks on a PTY. No frame from the server for
 * {@link Limits#MISSED_HEARTBEATS} heartbeat intervals ends the session. Shell
 * sessions are told when the session is established and when it ends (they detach).
 *
 * <p>Every way a session ends goes through {@link #fail}, which runs once: it
 * records the {@link SessionEnd}, stops the writer and sends the close frame.
 * {@link #run()} then waits for the server's close (at most {@link #CLOSE_GRACE};
 * not at all when the socket failed or the close frame could not be sent, since
 * no handshake can follow and the wait would only delay the reconnect), ends the
 * channel's session and returns the end.
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

    /** Told about the session's progress; called on the reader thread. */
    interface Listener {
        void established(Session session, Welcome welcome);

        void acknowledged();
    }

    private final WebSocket socket;
    private final WebSocketInbox inbox;
    private final ReliableChannel channel;
    private final Receiver receiver;
    private final ShellTraffic shells;
    private final HostMetrics metrics;
    private final Listener listener;
    private final Envelope hello;
    private final FrameCodec codec = FrameCodec.receivingFrom(Peer.SERVER);
    private final Writer writer;

    /** Set once, by {@link #fail}. */
    private final AtomicReference<SessionEnd> end = new AtomicReference<>();
    /** The close frame this side sent; set once, by {@link #closeOutput}. */
    private final AtomicReference<CompletableFuture<WebSocket>> closeSent = new AtomicReference<>();
    /** Set by the writer when the socket failed under it: {@link #finish} then cuts at once. */
    private volatile boolean linkBroken;
    /** Written by the reader; read by the connection manager and the heartbeat thread. */
    private volatile boolean established;
    private volatile long heartbeatIntervalNanos;
    private volatile long welcomeNanos;
    private volatile long lastHeartbeatAckNanos;
    /** Owned by the reader thread. */
    private long lastFrameNanos;
    private Thread writerThread;
    private Thread heartbeatThread;

    Session(WebSocket socket, WebSocketInbox inbox, ReliableChannel channel, Receiver receiver, ShellTraffic shells,
            HostMetrics metrics, Clock clock, Envelope hello, Listener listener) {
        this.socket = socket;
        this.inbox = inbox;
        this.channel = channel;
        this.receiver = receiver;
        this.shells = shells;
        this.metrics = metrics;
        this.hello = hello;
        this.listener = listener;
        this.writer = new Writer(socket, channel, shells, clock, (reason, linkBroken) -> {
            if (linkBroken) {
                this.linkBroken = true;
            }
            fail(new SessionEnd.Failed(reason), CloseCodes.INTERNAL_ERROR, reason);
        });
    }

    /** Runs the session on the calling thread (the reader) until it ends. */
    SessionEnd run() {
        writerThread = start("tether-writer", writer);
        writer.sendControl(hello);
        lastFrameNanos = System.nanoTime();
        long handshakeDeadline = lastFrameNanos + Limits.HANDSHAKE_TIMEOUT.toNanos();
        try {
            while (end.get() == null) {
                long deadline = established
                        ? lastFrameNanos + Limits.MISSED_HEARTBEATS * heartbeatIntervalNanos
                        : handshakeDeadline;
                Inbound inbound = inbox.poll(deadline - System.nanoTime());
                if (inbound != null) {
                    dispatch(inbound);
                } else if (System.nanoTime() - deadline >= 0) {
                    timedOut();
                }
            }
        } catch (ProtocolException e) {
            fail(new SessionEnd.Failed("protocol error: " + e.getMessage()), e.closeCode(), e.closeReason());
        } catch (StateStoreException e) {
            log.error("the agent state store failed; dropping the connection", e);
            fail(new SessionEnd.Failed("state store failed: " + e.getMessage()), CloseCodes.INTERNAL_ERROR,
                    "agent state store failed");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            fail(new SessionEnd.Stopped(), CloseCodes.NORMAL, "agent stopping");
        } catch (RuntimeException | Error e) {
            // An Error too: the payload's transaction was rolled back, so the next session replays it.
            log.error("unexpected failure in the connection reader", e);
            fail(new SessionEnd.Failed("unexpected error: " + e), CloseCodes.INTERNAL_ERROR, "agent internal error");
        } finally {
            finish();
        }
        return end.get();
    }

    private void dispatch(Inbound inbound) throws ProtocolException {
        switch (inbound) {
            case Inbound.Message message -> {
                lastFrameNanos = System.nanoTime();
                if (established) {
                    handle(message.frame());
                } else {
                    handshake(message.frame());
                }
                socket.request(1);
            }
            case Inbound.Activity activity -> {
                lastFrameNanos = System.nanoTime();
                socket.request(1);
            }
            case Inbound.Closed closed -> fail(new SessionEnd.Closed(closed.code(), closed.reason()), 0, null);
            case Inbound.Errored errored ->
                fail(new SessionEnd.Failed("connection lost: " + Dialer.reason(errored.error())), 0, null);
            case Inbound.Broken broken -> throw broken.exception();
            case Inbound.Wakeup wakeup -> {
                // The loop condition sees why.
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
        shells.connected(writer::wake);
        listener.established(this, welcome);
        heartbeatThread = start("tether-heartbeat", this::heartbeats);
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
            channel.onAck(envelope.getAck());
            writer.wake();
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
            case HEARTBEAT_ACK -> lastHeartbeatAckNanos = System.nanoTime();
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

    // ------------------------------------------------------------------ heartbeats

    private void heartbeats() {
        try {
            while (end.get() == null) {
                writer.sendControl(Envelope.newBuilder().setHeartbeat(heartbeat()).build());
                TimeUnit.NANOSECONDS.sleep(heartbeatIntervalNanos);
            }
        } catch (InterruptedException e) {
            // The session is over.
        } catch (RuntimeException | Error e) {
            log.error("heartbeat failed", e);
            fail(new SessionEnd.Failed("heartbeat failed: " + e), CloseCodes.INTERNAL_ERROR, "agent internal error");
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

    /**
     * The one way a session ends; only the first call counts.
     *
     * @param closeCode the close code to send, or 0 to send none (the server closed, or the socket failed)
     */
    void fail(SessionEnd why, int closeCode, String closeReason) {
        if (!end.compareAndSet(null, why)) {
            return;
        }
        writer.stop();
        if (closeCode != 0) {
            closeOutput(closeCode, closeReason);
        }
        inbox.wakeup();
    }

    private void closeOutput(int code, String reason) {
        CompletableFuture<WebSocket> sent = new CompletableFuture<>();
        if (!closeSent.compareAndSet(null, sent)) {
            return;
        }
        int sendable = sendableCloseCode(code);
        if (sendable != code) {
            log.debug("the JDK client cannot send close code {}; sending {} '{}'", code, sendable, reason);
        }
        socket.sendClose(sendable, CloseCodes.fitReason(reason)).whenComplete((done, error) -> {
            if (error == null) {
                sent.complete(done);
            } else {
                sent.completeExceptionally(error);
            }
        });
    }

    /**
     * The JDK WebSocket client refuses to send 1002, 1003, 1007 and 1009 (RFC 6455
     * leaves them to "an endpoint", the JDK to its own framing layer); those go as
     * 1008 policy violation, the reason still saying what broke.
     */
    static int sendableCloseCode(int code) {
        return switch (code) {
            case CloseCodes.PROTOCOL_ERROR, CloseCodes.UNSUPPORTED_DATA, CloseCodes.INVALID_PAYLOAD,
                    CloseCodes.MESSAGE_TOO_BIG -> CloseCodes.POLICY_VIOLATION;
            default -> code;
        };
    }

    private void finish() {
        writer.stop();
        stopThread(writerThread);
        stopThread(heartbeatThread);
        established = false;
        shells.disconnected();
        channel.end();
        inbox.discardMessages();
        socket.request(Long.MAX_VALUE);
        if (closeSent.get() == null) {
            // The server closed first (the JDK echoes its close) or the socket failed.
            closeOutput(CloseCodes.NORMAL, "");
        }
        try {
            // A close handshake needs our close frame out; when the socket failed or the frame could not be sent
            // there is none to wait for, and waiting would only delay the reconnect (a cut link, a dead server).
            if (!linkBroken) {
                closeSent.get().thenCompose(sent -> inbox.inputClosed()).get(CLOSE_GRACE.toMillis(), TimeUnit.MILLISECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (Exception e) {
            log.debug("no close handshake (the close frame failed, or no close within {} ms); cutting the connection",
                    CLOSE_GRACE.toMillis());
        }
        socket.abort();
    }

    private static Thread start(String name, Runnable task) {
        Thread thread = new Thread(task, name);
        thread.setDaemon(true);
        thread.start();
        return thread;
    }

    private static void stopThread(Thread thread) {
        if (thread == null) {
            return;
        }
        thread.interrupt();
        try {
            thread.join(CLOSE_GRACE.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
