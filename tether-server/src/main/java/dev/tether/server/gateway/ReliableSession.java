package dev.tether.server.gateway;

import dev.tether.protocol.CloseCodes;
import dev.tether.protocol.Limits;
import dev.tether.protocol.ProtocolException;
import dev.tether.protocol.Receipt;
import dev.tether.protocol.ReliableChannel;
import dev.tether.protocol.v1.Ack;
import dev.tether.protocol.v1.Envelope;
import dev.tether.protocol.v1.Hello;
import dev.tether.protocol.v1.Welcome;
import dev.tether.server.store.AgentSessionStore.SessionStart;
import dev.tether.server.store.ConfigStore;
import dev.tether.server.store.Fence;
import dev.tether.server.store.FencedException;
import dev.tether.server.store.OutboxTails;
import dev.tether.server.store.ServerOutbox;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.UUID;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicIntegerFieldUpdater;
import java.util.concurrent.atomic.AtomicLongFieldUpdater;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The database side of one agent connection: the handshake, applying reliable
 * payloads in batches, and sending the agent's outbox, over a
 * {@link ReliableChannel} backed by a {@link ServerOutbox}.
 *
 * <p>Acknowledgements also move jobs to delivered (see {@link #newlyDelivered}); the agent coming online
 * and going offline are recorded as server events.
 *
 * <p>Threads: the event loop {@link #enqueue}s envelopes and {@link #noteAck}s;
 * everything else runs on the agent's {@link Lane}, which owns {@link #channel}.
 * All work is one coalesced task, {@link #service}: drain what has arrived
 * into one transaction (effects and applied seq together, with what the agent
 * acknowledged meanwhile: its outbox rows and its jobs delivered), mark it
 * applied, then send acks and outbox payloads. Because the channel is touched only on
 * the lane, its lock (held during outbox I/O) never blocks the event loop.
 *
 * <p>Bounds: the inbound queue pauses reading at {@link #PAUSE_READING_AT}
 * payloads or {@link #PAUSE_READING_AT_BYTES}, and closes the connection
 * ({@code 1008}) past {@link #MAX_INBOUND} or {@link #MAX_INBOUND_BYTES}; at most
 * {@link #SEND_BATCH} outbox rows are read per step, within the channel's
 * window, and sending stops while the socket's write queue is full.
 */
final class ReliableSession {

    /** Queued inbound payloads at which reading pauses until the lane catches up. */
    static final int PAUSE_READING_AT = Limits.RELIABLE_WINDOW;
    /** Queued inbound payloads beyond which the agent is flooding: close 1008. */
    static final int MAX_INBOUND = 4 * Limits.RELIABLE_WINDOW;
    /** Queued inbound bytes at which reading pauses, whatever the count: 512 payloads of 1 MiB would be 512 MiB. */
    static final long PAUSE_READING_AT_BYTES = 8L * 1024 * 1024;
    /** Queued inbound bytes beyond which the agent is flooding: close 1008. */
    static final long MAX_INBOUND_BYTES = 32L * 1024 * 1024;
    /** Payloads applied per transaction at most. */
    static final int APPLY_BATCH = Limits.RELIABLE_WINDOW;
    /** Outbox rows read per step. */
    static final int SEND_BATCH = 64;
    private static final Logger LOG = LoggerFactory.getLogger(ReliableSession.class);
    // Field updaters rather than atomic objects: a dense node holds one session per idle agent.
    private static final AtomicIntegerFieldUpdater<ReliableSession> INBOUND_SIZE =
            AtomicIntegerFieldUpdater.newUpdater(ReliableSession.class, "inboundSize");
    private static final AtomicLongFieldUpdater<ReliableSession> INBOUND_BYTES =
            AtomicLongFieldUpdater.newUpdater(ReliableSession.class, "inboundBytes");
    private static final AtomicIntegerFieldUpdater<ReliableSession> SCHEDULED =
            AtomicIntegerFieldUpdater.newUpdater(ReliableSession.class, "scheduled");

    private final AgentConnection connection;
    private final String agentId;
    private final ConnectionServices services;
    private final Lane lane;
    /**
     * Reliable envelopes from the agent waiting for the lane. Created by the first {@link #enqueue} (the event
     * loop, its only producer), since an idle agent sends none; read by the lane.
     */
    private volatile Queue<Envelope> inbound;
    /** Envelopes in {@link #inbound}: added to on the event loop, taken from on the lane, by {@link #INBOUND_SIZE}. */
    private volatile int inboundSize;
    /** Serialized bytes of the envelopes in {@link #inbound}; both threads, by {@link #INBOUND_BYTES}. */
    private volatile long inboundBytes;
    /** Highest cumulative ack seen from the agent; written on the event loop only, read on the lane. */
    private volatile long peerAck;
    /** Whether a service task is queued on the lane (1) or not (0); any thread, by {@link #SCHEDULED}. */
    private volatile int scheduled;
    /** The last ack put on the wire, for live replies on the event loop. */
    private volatile long lastAckSent;
    /** nanoTime since which sending waits for the write queue to drain; 0 when not waiting. */
    private volatile long writeBlockedSince;
    /** Lane only; null until the handshake read the agent's state. */
    private ReliableChannel channel;
    /** Lane only: the agent's name, null until the handshake read it. */
    private String agentName;
    /** Lane only: the highest server seq the agent acknowledged that jobs were marked delivered for. */
    private long deliveredUpTo;
    /** Lane only: the server seq the agent said in Hello it had applied. */
    private long appliedInHello;
    /** This connection's claim on the agent; null until the handshake took it. Written on the lane. */
    private volatile Fence fence;
    /** Lane only: what the agent's outbox reads try first; null until the handshake opened it. */
    private OutboxTails.Tail tail;
    /** Lane only: the channel's outbox, whose acknowledgements each turn writes; null before the handshake. */
    private ServerOutbox outbox;

    ReliableSession(AgentConnection connection, String agentId, ConnectionServices services, Lane lane) {
        this.connection = connection;
        this.agentId = agentId;
        this.services = services;
        this.lane = lane;
    }

    // ------------------------------------------------------------ from the event loop

    void handshake(Hello hello, int protocolVersion) {
        lane.execute(() -> guarded(() -> runHandshake(hello, protocolVersion)));
    }

    /** @return the number of envelopes now queued */
    int enqueue(Envelope envelope) {
        INBOUND_BYTES.addAndGet(this, envelope.getSerializedSize());
        Queue<Envelope> queue = inbound;
        if (queue == null) {
            queue = new ConcurrentLinkedQueue<>();
            inbound = queue;
        }
        queue.add(envelope);
        int size = INBOUND_SIZE.incrementAndGet(this);
        services.metrics().inboundWaiting(size);
        schedule();
        return size;
    }

    /** Serialized bytes queued inbound now. */
    long inboundBytes() {
        return inboundBytes;
    }

    /** Event loop only, so a plain compare then write is enough. */
    void noteAck(long ack) {
        if (ack > peerAck) {
            peerAck = ack;
            schedule();
        }
    }

    long lastAckSent() {
        return lastAckSent;
    }

    long writeBlockedSinceNanos() {
        return writeBlockedSince;
    }

    /** The socket's write queue drained. */
    void writable() {
        writeBlockedSince = 0;
        schedule();
    }

    /** Queues one service task on the lane unless one is queued already. */
    void schedule() {
        if (!connection.isClosed() && SCHEDULED.compareAndSet(this, 0, 1)) {
            lane.execute(() -> guarded(this::service));
        }
    }

    /**
     * The connection ended: the lane ends the channel, records the agent offline when this was its live
     * connection, and is released after any task still queued.
     */
    void end(boolean wentOffline, int closeCode) {
        lane.execute(() -> {
            try {
                if (channel != null) {
                    channel.end();
                }
                if (tail != null) {
                    services.db().outboxTails().close(tail);
                }
                if (wentOffline && agentName != null && released()) {
                    services.presence().offline(agentId, agentName, closeCode);
                }
            } finally {
                services.lanes().release(agentId);
            }
        });
    }

    /** This connection's epoch; 0 before its handshake. */
    long epoch() {
        Fence current = fence;
        return current == null ? 0 : current.epoch();
    }

    // ------------------------------------------------------------ on the lane

    /**
     * Clears this node as the agent's holder, unless a newer connection (on any node) took it over.
     *
     * @return true when the agent is offline now
     */
    private boolean released() {
        try {
            return services.sessions().release(fence);
        } catch (RuntimeException e) {
            // The holder stays set; if this node dies, the cluster's sweep clears it.
            LOG.warn("agent {}: could not record it offline", agentId, e);
            return false;
        }
    }

    private void runHandshake(Hello hello, int protocolVersion) throws ProtocolException {
        if (connection.isClosed()) {
            return;
        }
        if (services.hub().supersededAtHandshake(connection)) {
            // Handshakes of one agent run in order on its lane, so a newer live connection is registered by now.
            connection.close(CloseCodes.REPLACED, "a newer connection of this agent is live");
            return;
        }
        SessionStart start = services.sessions().beginSession(agentId, hello, System.currentTimeMillis());
        if (start == null || start.revoked()) {
            connection.close(CloseCodes.REVOKED, "agent key revoked");
            return;
        }
        fence = start.fence();
        String previousHolder = start.previousHolder();
        if (previousHolder != null && !previousHolder.equals(services.hub().nodeName())) {
            services.hub().peers().tookOver(agentId, previousHolder, fence.epoch());
        }
        // Opened before the resume: a renumbering there empties it, and appends committed from now on fill it.
        tail = services.db().outboxTails().open(agentId);
        outbox = new ServerOutbox(services.db(), fence, tail);
        channel = ReliableChannel.create(outbox, start.appliedAgentSeq(), start.appliedAgentStamp());
        refuseImpossibleResumePoint(hello);
        Welcome welcome = welcome(start, hello, protocolVersion);
        ReliableChannel.Resumption resumption = channel.resume(hello.getAppliedServerSeq(),
                hello.getAppliedServerStamp(), hello.getResumeAgentSeq());
        if (resumption.lostByPeerReset() > 0 || resumption.diverged()) {
            LOG.warn("agent {}: its history and the server's differ (a state restored from an older copy, or a "
                    + "state dir copied to another machine): {}", agentId, resumption);
        }
        if (!services.hub().register(connection)) {
            connection.close(CloseCodes.REVOKED, "agent key revoked");
            return;
        }
        // The resume wrote its acknowledgement; from here on they are written with each turn's transaction.
        outbox.deferAcknowledgements();
        lastAckSent = channel.takeAck();
        connection.send(Envelope.newBuilder().setWelcome(welcome).setAck(lastAckSent)
                .setTsMs(System.currentTimeMillis()).build());
        if (!connection.markEstablished() || connection.isClosed()) {
            // Closed while registering: its close may have run before the registration, so undo it here.
            services.hub().unregister(connection);
            return;
        }
        agentName = start.name();
        appliedInHello = hello.getAppliedServerSeq();
        services.presence().online(agentId, agentName);
        services.shells().agentConnected(connection, hello.getShellSessionsList());
        service();
    }

    /**
     * The server is the authority for the seqs it assigns, and its database is not restored behind its own
     * back: an agent that claims to have applied a server seq beyond anything this server assigned it lies
     * (or runs on state that belongs to another server). Accepting it would let one agent move its own
     * counter anywhere; it is refused before anything is written.
     */
    private void refuseImpossibleResumePoint(Hello hello) throws ProtocolException {
        if (channel.peerAhead(hello.getAppliedServerSeq())) {
            LOG.warn("agent {}: refused: its Hello claims server seq {} applied, beyond any seq this server assigned "
                    + "it (its state dir belongs to another server or was tampered with; re-enroll it with a fresh "
                    + "--state-dir)", agentId, hello.getAppliedServerSeq());
            throw new ProtocolException(CloseCodes.PROTOCOL_ERROR,
                    "applied_server_seq is beyond any seq this server assigned to this agent");
        }
    }

    private Welcome welcome(SessionStart start, Hello hello, int protocolVersion) {
        Welcome.Builder welcome = Welcome.newBuilder()
                .setProtocolVersion(protocolVersion)
                .setSessionId(UUID.randomUUID().toString())
                .setHeartbeatIntervalMs((int) services.heartbeatInterval().toMillis())
                .setAppliedAgentSeq(channel.applied())
                .setAppliedAgentStamp(channel.appliedStamp())
                .setResumeServerSeq(channel.resumeSeq())
                .setAgentId(agentId)
                .setAgentName(start.name());
        if (start.configJson() != null && start.configVersion() > hello.getConfigVersion()) {
            welcome.setConfig(ConfigStore.update(start.configVersion(), start.configJson()));
        }
        return welcome.build();
    }

    private void service() throws ProtocolException {
        scheduled = 0;
        if (connection.isClosed() || channel == null) {
            return;
        }
        long ack = peerAck;
        // Checked now, written with the payloads applied below: one transaction for the turn.
        channel.onAck(ack);
        applyInbound(new PeerAcks(outbox.takeUnwrittenAck(), newlyDelivered(ack)));
        sendOutbound();
        if (inboundSize < PAUSE_READING_AT / 2 && inboundBytes < PAUSE_READING_AT_BYTES / 2) {
            connection.resumeReading();
        }
    }

    /**
     * The seq up to which jobs whose CommandRequest the agent acknowledged (by an ack, or in Hello) are to become
     * delivered, counted as done: the transaction that does it runs in this turn or the connection fails. 0 when
     * nothing is new.
     */
    private long newlyDelivered(long ack) {
        long acknowledged = Math.max(ack, appliedInHello);
        if (acknowledged <= deliveredUpTo) {
            return 0;
        }
        deliveredUpTo = acknowledged;
        return acknowledged;
    }

    /** Applies what arrived; the first transaction also records {@code acks}, which get one of their own else. */
    private void applyInbound(PeerAcks acks) throws ProtocolException {
        PeerAcks unwritten = acks;
        List<Envelope> batch = new ArrayList<>();
        Queue<Envelope> queue = inbound;
        Envelope envelope;
        while (queue != null && (envelope = queue.poll()) != null) {
            INBOUND_SIZE.decrementAndGet(this);
            INBOUND_BYTES.addAndGet(this, -envelope.getSerializedSize());
            if (channel.receive(envelope.getSeq()) == Receipt.APPLY) {
                batch.add(envelope);
            }
            if (batch.size() == APPLY_BATCH) {
                commit(batch, unwritten);
                unwritten = PeerAcks.NONE;
                batch.clear();
            }
        }
        commit(batch, unwritten);
    }

    private void commit(List<Envelope> fresh, PeerAcks acks) {
        if (fresh.isEmpty()) {
            services.applier().acknowledge(fence, acks);
            return;
        }
        services.applier().apply(fence, fresh, channel.applied(), acks);
        Envelope last = fresh.getLast();
        channel.markApplied(last.getSeq(), last.getStamp());
    }

    private void sendOutbound() {
        while (true) {
            if (connection.writeQueueFull()) {
                if (writeBlockedSince == 0) {
                    // Since the first time: a wake-up while blocked must not restart the write timeout.
                    writeBlockedSince = System.nanoTime() | 1;
                    services.hub().writesBlocked(connection);
                }
                return;
            }
            if (writeBlockedSince != 0) {
                // The drain came between the check and the mark above: writes flow.
                writeBlockedSince = 0;
            }
            List<Envelope> batch = channel.nextBatch(SEND_BATCH);
            if (batch.isEmpty()) {
                break;
            }
            for (Envelope envelope : batch) {
                send(envelope.toBuilder());
            }
        }
        if (channel.ackDue()) {
            send(Envelope.newBuilder().setAckOnly(Ack.getDefaultInstance()));
        }
    }

    private void send(Envelope.Builder envelope) {
        long ack = channel.takeAck();
        lastAckSent = ack;
        connection.send(envelope.setAck(ack).setTsMs(System.currentTimeMillis()).build());
    }

    /**
     * Runs lane work; any failure ends the connection, with the peer's fault or as an internal error (1011, after
     * which the agent reconnects and resumes from what was committed). An {@code Error} (out of memory, a stack
     * overflow, a failed assertion) is handled like an exception: the transaction it interrupted was rolled back,
     * and the server keeps serving every other agent.
     */
    private void guarded(LaneWork work) {
        try {
            work.run();
        } catch (ProtocolException e) {
            connection.close(e.closeCode(), e.closeReason());
        } catch (RuntimeException | Error e) {
            FencedException fenced = fenced(e);
            if (fenced != null) {
                LOG.info("agent {}: {}; closing this connection", agentId, fenced.getMessage());
                connection.close(CloseCodes.REPLACED, fenced.holder() == null ? "replaced by a newer connection"
                        : "replaced by a newer connection through node " + fenced.holder());
                return;
            }
            if (!connection.isClosed()) {
                LOG.error("agent {}: connection failed", agentId, e);
                connection.close(CloseCodes.INTERNAL_ERROR, "internal server error; reconnect later");
            }
        }
    }

    /** The fencing failure behind {@code failure}, wrapped or not; null when there is none. */
    private static FencedException fenced(Throwable failure) {
        for (Throwable cause = failure; cause != null; cause = cause.getCause()) {
            if (cause instanceof FencedException fenced) {
                return fenced;
            }
        }
        return null;
    }

    @FunctionalInterface
    private interface LaneWork {
        void run() throws ProtocolException;
    }
}
