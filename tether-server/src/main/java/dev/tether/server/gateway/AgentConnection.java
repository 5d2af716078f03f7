package dev.tether.server.gateway;

import dev.tether.protocol.CloseCodes;
import dev.tether.protocol.FrameCodec;
import dev.tether.protocol.Limits;
import dev.tether.protocol.Payloads;
import dev.tether.protocol.Peer;
import dev.tether.protocol.ProtocolException;
import dev.tether.protocol.ProtocolVersion;
import dev.tether.protocol.v1.Envelope;
import dev.tether.protocol.v1.Heartbeat;
import dev.tether.server.hub.LiveConnection;
import dev.tether.server.text.AgentText;
import io.netty.buffer.ByteBuf;
import java.nio.ByteBuffer;
import java.util.concurrent.atomic.AtomicIntegerFieldUpdater;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One agent's WebSocket, from the upgrade to the close: reads frames, runs the
 * handshake, answers heartbeats, and hands reliable traffic to its
 * {@link ReliableSession}. One {@code handleX} per message type.
 *
 * <p>The WebSocket itself is an {@link AgentSocket}, the one handler of a bare Netty pipeline (see
 * {@link WebSocketTakeover}); this class holds the protocol and a few fields of state.
 *
 * <p>Every end goes through one path that runs once: {@link #close} when this
 * side ends it (protocol error, replaced, revoked, dead peer, shutdown), or
 * {@link #closedByAgent}/{@link #connectionLost} when the agent or the network did. Either counts
 * the close code once, takes the agent offline and releases its lane.
 *
 * <p>Threads: messages are handled on the channel's event loop, which owns
 * {@link #rate} and writes {@link #readPaused}; database work runs on the
 * agent's lane (see {@link ReliableSession}); {@link #close}, {@link #send}, {@link #wake}
 * and the {@link LiveConnection} getters may be called from any thread.
 */
public final class AgentConnection implements LiveConnection {

    private static final Logger LOG = LoggerFactory.getLogger(AgentConnection.class);
    private static final FrameCodec CODEC = FrameCodec.receivingFrom(Peer.AGENT);
    private static final AtomicIntegerFieldUpdater<AgentConnection> CLOSED =
            AtomicIntegerFieldUpdater.newUpdater(AgentConnection.class, "closed");
    /**
     * Bytes written to the agent and not yet taken by its socket at most: reliable sends stop at the socket's
     * write-queue mark (one batch may pass it), but live traffic (shell input within the credit the agent
     * grants, replies) does not stop by itself.
     */
    static final long MAX_UNWRITTEN_BYTES = (long) ReliableSession.SEND_BATCH * Limits.MAX_FRAME_BYTES
            + 16L * 1024 * 1024;

    /** RFC 6455: the code reported for a connection that ended without a close frame; never sent. */
    static final int ABNORMAL_CLOSURE = 1006;

    private enum State { AWAITING_HELLO, HANDSHAKING, OPEN }

    private final AgentSocket socket = new AgentSocket(this);
    private final String agentId;
    private final ConnectionServices services;
    private final ReliableSession session;
    private final long openedNanos = System.nanoTime();
    /** 1 once the connection ended; any thread, set once by {@link #CLOSED} (an updater: one per idle agent). */
    private volatile int closed;
    /**
     * Ends the gateway's admission of the handshake (idempotent): at {@link #markEstablished} or the end; then
     * dropped, so an established connection does not keep it. Any thread.
     */
    private volatile Runnable admitted;
    /** Event loop only. */
    private final MessageRate rate = new MessageRate(openedNanos);
    /** Reading is paused because the inbound queue is full; written on the event loop only. */
    private volatile boolean readPaused;
    /**
     * Pauses so far; written on the event loop only. A resume the lane asked for before the latest pause is
     * stale (the queue it saw with room has filled since) and is dropped; the lane asks again once it drained.
     */
    private volatile int pauses;

    // Written on the event loop (state, frames) or the lane (state, connectedAt); read anywhere.
    private volatile State state = State.AWAITING_HELLO;
    private volatile long lastFrameNanos = openedNanos;
    private volatile long lastSeenMillis = System.currentTimeMillis();
    private volatile long connectedAtMillis;
    private volatile Heartbeat lastHeartbeat;
    private volatile long lastHeartbeatMillis;

    /** Call on the event loop of the agent's HTTP connection; the socket goes into its pipeline. */
    AgentConnection(String agentId, ConnectionServices services, Runnable admitted) {
        this.admitted = admitted;
        this.agentId = agentId;
        this.services = services;
        this.session = new ReliableSession(this, agentId, services, services.lanes().acquire(agentId));
    }

    /** The handler to put in the channel's pipeline. */
    AgentSocket socket() {
        return socket;
    }

    /** The socket is in place and reading on its event loop: the hub may reach the agent now. */
    void opened() {
        services.hub().track(this);
    }

    // ------------------------------------------------------------ reading (event loop)

    /** A data frame arrived (the agent is alive, whatever the frame holds). */
    void frameArrived() {
        lastFrameNanos = System.nanoTime();
        lastSeenMillis = System.currentTimeMillis();
    }

    /** One complete message, read from the socket's buffer without a copy; the caller releases it. */
    void onMessage(ByteBuf message) {
        if (closed == 1) {
            return;
        }
        try {
            handleMessage(message);
        } catch (ProtocolException e) {
            close(e.closeCode(), e.closeReason());
        } catch (RuntimeException e) {
            LOG.error("agent {}: failed to handle a frame", agentId, e);
            close(CloseCodes.INTERNAL_ERROR, "internal server error; reconnect later");
        }
    }

    private void handleMessage(ByteBuf message) throws ProtocolException {
        services.metrics().frameIn(message.readableBytes());
        ByteBuffer frame = message.nioBuffer();
        // Most of what an agent sends is heartbeats: read those without protobuf's general parse.
        FrameCodec.HeartbeatFrame heartbeat = CODEC.decodeHeartbeat(frame);
        if (heartbeat != null) {
            // Live and without text: it counts against the message rate and needs no sanitising.
            takeFromRate();
            handleHeartbeat(heartbeat.ack(), heartbeat.heartbeat());
            return;
        }
        FrameCodec.Decoded decoded = CODEC.decode(frame);
        Envelope envelope = AgentText.sanitiseFromAgent(decoded.envelope());
        if (MessageRate.counts(envelope)) {
            takeFromRate();
        }
        if (decoded.unknownPayload()) {
            handleUnknown(envelope);
            return;
        }
        switch (envelope.getPayloadCase()) {
            case HELLO -> handleHello(envelope);
            case HEARTBEAT -> handleHeartbeat(envelope.getAck(), envelope.getHeartbeat());
            case ACK_ONLY -> handleAck(envelope);
            case SHELL_READY, SHELL_ERROR, SHELL_OUTPUT, SHELL_EXIT, SHELL_CREDIT -> handleShell(envelope);
            default -> {
                requireHello(envelope);
                if (Payloads.isReliable(envelope)) {
                    handleReliable(envelope);
                } else {
                    handleIgnored(envelope);
                }
            }
        }
    }

    private void handleHello(Envelope envelope) throws ProtocolException {
        if (state != State.AWAITING_HELLO) {
            throw new ProtocolException(CloseCodes.PROTOCOL_ERROR, "hello sent twice");
        }
        int version = ProtocolVersion.negotiate(envelope.getHello().getProtocolMin(),
                envelope.getHello().getProtocolMax());
        state = State.HANDSHAKING;
        session.handshake(envelope.getHello(), version);
    }

    private void takeFromRate() throws ProtocolException {
        if (!rate.take(lastFrameNanos)) {
            throw new ProtocolException(CloseCodes.POLICY_VIOLATION, "more than " + MessageRate.SUSTAINED_PER_SECOND
                    + " messages a second: slow down");
        }
    }

    private void handleHeartbeat(long ack, Heartbeat heartbeat) throws ProtocolException {
        requireHello(Envelope.PayloadCase.HEARTBEAT);
        lastHeartbeat = heartbeat;
        lastHeartbeatMillis = lastSeenMillis;
        session.noteAck(ack);
        write(OutboundFrames.heartbeatAck(socket.alloc(), session.lastAckSent(), System.currentTimeMillis()));
    }

    private void handleAck(Envelope envelope) throws ProtocolException {
        requireHello(envelope);
        session.noteAck(envelope.getAck());
    }

    private void handleReliable(Envelope envelope) {
        session.noteAck(envelope.getAck());
        int queued = session.enqueue(envelope);
        long queuedBytes = session.inboundBytes();
        if (queued > ReliableSession.MAX_INBOUND || queuedBytes > ReliableSession.MAX_INBOUND_BYTES) {
            close(CloseCodes.POLICY_VIOLATION, "more than " + ReliableSession.MAX_INBOUND + " reliable payloads or "
                    + ReliableSession.MAX_INBOUND_BYTES / (1024 * 1024) + " MiB waiting to be applied");
        } else if ((queued >= ReliableSession.PAUSE_READING_AT
                || queuedBytes >= ReliableSession.PAUSE_READING_AT_BYTES) && !readPaused) {
            readPaused = true;
            pauses++;
            socket.pauseReading();
        }
    }

    /**
     * Shell traffic goes to the broker; it is live, so it only carries an ack besides. Output or input credit the
     * broker could not take within its flow control is charged against the message rate like any other message.
     */
    private void handleShell(Envelope envelope) throws ProtocolException {
        requireHello(envelope);
        session.noteAck(envelope.getAck());
        boolean withinFlowControl = state == State.OPEN && services.shells().fromAgent(this, envelope);
        if (!withinFlowControl && !MessageRate.counts(envelope) && !rate.take(lastFrameNanos)) {
            throw new ProtocolException(CloseCodes.POLICY_VIOLATION, "more than " + MessageRate.SUSTAINED_PER_SECOND
                    + " messages a second outside flow control (shell output beyond its credit, input credit "
                    + "not owed, or for no session):"
                    + " slow down");
        }
    }

    /** A payload type newer than this server: ignored and counted, but applied as a no-op when reliable. */
    private void handleUnknown(Envelope envelope) throws ProtocolException {
        requireHello(envelope);
        services.metrics().unknownPayload();
        if (envelope.getSeq() > 0) {
            handleReliable(envelope);
        } else {
            session.noteAck(envelope.getAck());
        }
    }

    /** Live payloads this server does nothing with, and bare ack carriers. */
    private void handleIgnored(Envelope envelope) {
        session.noteAck(envelope.getAck());
        LOG.debug("agent {}: ignoring live {}", agentId, envelope.getPayloadCase());
    }

    private void requireHello(Envelope envelope) throws ProtocolException {
        requireHello(envelope.getPayloadCase());
    }

    private void requireHello(Envelope.PayloadCase payload) throws ProtocolException {
        if (state == State.AWAITING_HELLO) {
            throw new ProtocolException(CloseCodes.PROTOCOL_ERROR,
                    "expected hello first, got " + payload.name().toLowerCase());
        }
    }

    /** Called from the lane once the inbound queue has room again. */
    void resumeReading() {
        if (!readPaused) {
            return;
        }
        int seen = pauses;
        socket.onEventLoop(() -> {
            if (readPaused && closed == 0 && pauses == seen) {
                readPaused = false;
                socket.resumeReading();
            }
        });
    }

    // ------------------------------------------------------------ writing (any thread)

    /**
     * Writes one envelope; a failed write surfaces as the connection's end. Past {@link #MAX_UNWRITTEN_BYTES}
     * written and not yet taken by the socket, the agent is not reading: it is closed, not buffered for.
     */
    void send(Envelope envelope) {
        write(OutboundFrames.envelope(socket.alloc(), envelope));
    }

    private void write(ByteBuf message) {
        if (closed == 1) {
            message.release();
            return;
        }
        int length = message.readableBytes();
        services.metrics().frameOut((int) ServerFrames.payloadBytes(message));
        if (socket.unwrittenBytes() + length > MAX_UNWRITTEN_BYTES) {
            message.release();
            close(CloseCodes.DEAD_PEER, "more than " + MAX_UNWRITTEN_BYTES / (1024 * 1024)
                    + " MiB waiting to be written: the agent is not reading");
            return;
        }
        socket.writeMessage(message);
    }

    /** Whether the socket's outbound buffer is over its high-water mark: reliable sending waits. */
    boolean writeQueueFull() {
        return socket.writeBlocked();
    }

    /** The socket's outbound buffer fell below its low-water mark. */
    void writable() {
        session.writable();
    }

    /**
     * The lane finished the handshake.
     *
     * @return false when the connection closed meanwhile
     */
    boolean markEstablished() {
        endAdmission();
        if (closed == 1) {
            return false;
        }
        connectedAtMillis = System.currentTimeMillis();
        state = State.OPEN;
        services.metrics().handshakeSucceeded();
        LOG.info("agent {} connected from {}", agentId, socket.remoteAddress());
        return true;
    }

    private void endAdmission() {
        Runnable ticket = admitted;
        if (ticket != null) {
            admitted = null;
            ticket.run();
        }
    }

    // ------------------------------------------------------------ the end (runs once)

    @Override
    public void close(int code, String reason) {
        if (!CLOSED.compareAndSet(this, 0, 1)) {
            return;
        }
        socket.close(code, CloseCodes.fitReason(reason));
        ended(code, reason, true);
    }

    /**
     * On the socket's event loop once it polled the socket again ({@link AgentSocket#afterNextPoll}): a
     * heartbeat that had reached the socket counts, however long the loop was kept from reading it.
     */
    @Override
    public void closeIfSilentSince(long frameNanos, int code, String reason) {
        socket.afterNextPoll(() -> {
            if (lastFrameNanos == frameNanos) {
                close(code, reason);
            }
        });
    }

    /** The agent sent a close frame; the socket answers it. */
    void closedByAgent(int code, String reason) {
        if (CLOSED.compareAndSet(this, 0, 1)) {
            ended(code, reason, false);
        }
    }

    /** The TCP connection ended (without a close frame, when this runs first: 1006). */
    void connectionLost() {
        if (CLOSED.compareAndSet(this, 0, 1)) {
            ended(ABNORMAL_CLOSURE, null, false);
        }
    }

    private void ended(int code, String reason, boolean byServer) {
        endAdmission();
        services.metrics().connectionClosed(code);
        if (state != State.OPEN) {
            services.metrics().handshakeFailed(byServer ? failureReason(code) : "closed_by_agent");
        }
        boolean wentOffline = services.hub().unregister(this);
        services.shells().agentDisconnected(this);
        session.end(wentOffline, code);
        LOG.info("agent {} disconnected: {} {}", agentId, code, reason == null ? "" : reason);
    }

    /** The handshake_failures reason of a connection that ended before Welcome. */
    private static String failureReason(int code) {
        return switch (code) {
            case CloseCodes.HANDSHAKE_TIMEOUT -> "timeout";
            case CloseCodes.UNSUPPORTED_VERSION -> "unsupported_version";
            case CloseCodes.REVOKED -> "revoked";
            case CloseCodes.REPLACED -> "replaced";
            case CloseCodes.PROTOCOL_ERROR, CloseCodes.UNSUPPORTED_DATA, CloseCodes.INVALID_PAYLOAD,
                    CloseCodes.MESSAGE_TOO_BIG -> "protocol_error";
            case CloseCodes.GOING_AWAY -> "server_stopping";
            default -> "server_error";
        };
    }

    boolean isClosed() {
        return closed == 1;
    }

    // ------------------------------------------------------------ LiveConnection

    @Override
    public String agentId() {
        return agentId;
    }

    @Override
    public long epoch() {
        return session.epoch();
    }

    @Override
    public long openedNanos() {
        return openedNanos;
    }

    @Override
    public boolean established() {
        return state == State.OPEN;
    }

    @Override
    public long lastFrameNanos() {
        return lastFrameNanos;
    }

    @Override
    public long lastSeenMillis() {
        return lastSeenMillis;
    }

    @Override
    public long connectedAtMillis() {
        return connectedAtMillis;
    }

    @Override
    public Heartbeat lastHeartbeat() {
        return lastHeartbeat;
    }

    @Override
    public long lastHeartbeatMillis() {
        return lastHeartbeatMillis;
    }

    @Override
    public long writeBlockedSinceNanos() {
        return session.writeBlockedSinceNanos();
    }

    @Override
    public void wake() {
        session.schedule();
    }

    @Override
    public void sendLive(Envelope envelope) {
        if (closed == 1) {
            return;
        }
        send(envelope.toBuilder().setAck(session.lastAckSent()).setTsMs(System.currentTimeMillis()).build());
    }
}
