package dev.tether.bench.sim;

import com.google.protobuf.ByteString;
import dev.tether.protocol.CloseCodes;
import dev.tether.protocol.FrameCodec;
import dev.tether.protocol.Limits;
import dev.tether.protocol.MemoryOutbox;
import dev.tether.protocol.Payloads;
import dev.tether.protocol.Peer;
import dev.tether.protocol.ProtocolException;
import dev.tether.protocol.ProtocolVersion;
import dev.tether.protocol.Receipt;
import dev.tether.protocol.ReliableChannel;
import dev.tether.protocol.v1.Ack;
import dev.tether.protocol.v1.AgentEvent;
import dev.tether.protocol.v1.CommandRequest;
import dev.tether.protocol.v1.Envelope;
import dev.tether.protocol.v1.Heartbeat;
import dev.tether.protocol.v1.Hello;
import dev.tether.protocol.v1.JobEvent;
import dev.tether.protocol.v1.JobFinished;
import dev.tether.protocol.v1.JobStarted;
import dev.tether.protocol.v1.Welcome;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.EventLoop;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * One simulated agent: speaks the real protocol (Hello, Welcome, heartbeats,
 * reliable events over a {@link ReliableChannel} with a {@link MemoryOutbox},
 * acknowledgements both ways) over whatever connection its {@link AgentLoop}
 * dialled, and reconnects with the agent's backoff when it loses it.
 *
 * <p>The outbox lives as long as this object, so events published while the
 * server is down are replayed when it is back, as a real agent's on-disk
 * outbox would be.
 *
 * <p>Not thread safe: every method runs on the agent's event loop.
 */
final class SimAgent implements HeartbeatWheel.Member {

    private static final FrameCodec CODEC = FrameCodec.receivingFrom(Peer.SERVER);
    private static final String AGENT_VERSION = "tether-bench-sim/1";
    private static final int SEND_BATCH = 64;
    private static final long HOST_MEMORY = 8L << 30;

    enum State { IDLE, DIALING, HELLO_SENT, ONLINE, BACKOFF, STOPPED }

    private final Credentials credentials;
    private final AgentLoop home;
    private final ReliableChannel channel = ReliableChannel.create(new MemoryOutbox(), 0);
    private final long startedNanos = System.nanoTime();
    /** Publish time of pending seqs (ring by seq), when latency is measured. */
    private final long[] publishedAt;

    private State state = State.IDLE;
    private Channel connection;
    private int failures;
    /** Which of the fleet's server URLs the next attempt dials (modulo their number); one step per attempt. */
    private int serverTurn;
    private boolean everOnline;
    /** Counted against the ramp's in-flight bound until the first Welcome or failure. */
    private boolean rampSlot;
    private long dialNanos;
    private long welcomeNanos;
    private long lastFrameNanos;
    private long heartbeatSentNanos;
    private long intervalNanos;
    /** Highest seq the server acknowledged, ever (survives reconnects). */
    private long serverAcked;
    /** Events still to publish, and how many may be pending at once while publishing them. */
    private long toPublish;
    private long maxPending = Long.MAX_VALUE;
    private long nextN = 1;
    private String runId = "";
    /** Seqs of JobFinished events not yet acknowledged, oldest first; null until the first command. */
    private ArrayDeque<Long> unackedJobEnds;
    /** The server's Retry-After on the last refused upgrade, ms; 0: none. */
    private long retryAfterMillis;
    /** Whether that refusal was a 503: the server pacing a crowd. */
    private boolean paced;
    /** When this run of failures began, System.nanoTime; meaningful while failures > 0. */
    private long failingSinceNanos;
    /** Slot in the heartbeat wheel, -1 when not in it. Owned by {@link HeartbeatWheel}. */
    private int wheelSlot = -1;

    /** @param firstServerTurn the agent's index in its fleet: which server URL its first attempt dials */
    SimAgent(Credentials credentials, AgentLoop home, int latencyWindow, int firstServerTurn) {
        this.credentials = credentials;
        this.serverTurn = firstServerTurn;
        this.home = home;
        this.publishedAt = latencyWindow > 0 ? new long[latencyWindow] : null;
    }

    Credentials credentials() {
        return credentials;
    }

    EventLoop homeLoop() {
        return home.loop();
    }

    int serverTurn() {
        return serverTurn;
    }

    State state() {
        return state;
    }

    @Override
    public boolean online() {
        return state == State.ONLINE;
    }

    @Override
    public int wheelSlot() {
        return wheelSlot;
    }

    @Override
    public void wheelSlot(int slot) {
        wheelSlot = slot;
    }

    boolean everOnline() {
        return everOnline;
    }

    long pending() {
        return channel.depth();
    }

    // ------------------------------------------------------------------ connection lifecycle

    /** Dials now; {@code counted} when the ramp holds an in-flight slot for it. */
    void dial(boolean counted) {
        if (state == State.STOPPED || state == State.DIALING || state == State.HELLO_SENT || state == State.ONLINE) {
            if (counted) {
                home.releaseRampSlot();
            }
            return;
        }
        rampSlot = counted;
        state = State.DIALING;
        dialNanos = System.nanoTime();
        home.stats.dials++;
        connection = home.dial(this);
    }

    /** The WebSocket upgrade succeeded: say Hello. */
    void upgraded(Channel ch) {
        if (ch != connection || state != State.DIALING) {
            return;
        }
        lastFrameNanos = System.nanoTime();
        Hello hello = Hello.newBuilder()
                .setAgentVersion(AGENT_VERSION)
                .setProtocolMin(ProtocolVersion.MIN)
                .setProtocolMax(ProtocolVersion.MAX)
                .setHostname("sim-" + credentials.name())
                .setOs("linux")
                .setArch("amd64")
                .putLabels("bench", "true")
                .setAppliedServerSeq(channel.applied())
                .setResumeAgentSeq(channel.resumeSeq())
                .setBootId(home.bootId())
                .build();
        write(Envelope.newBuilder().setHello(hello).setTsMs(System.currentTimeMillis()).build());
        ch.flush();
        state = State.HELLO_SENT;
    }

    /** The connection ended or never opened; runs once per connection. */
    void ended(Channel ch, String cause) {
        if (ch != connection) {
            return;
        }
        connection = null;
        channel.end();
        releaseRampSlot();
        if (state == State.ONLINE) {
            home.stats.disconnects++;
        } else if (state != State.STOPPED) {
            home.stats.failed(cause);
        }
        if (state == State.STOPPED) {
            return;
        }
        state = State.BACKOFF;
        // With several URLs (a cluster) the next attempt goes to the next one, as the real agent's does.
        serverTurn++;
        long delay;
        if (paced && retryAfterMillis > 0) {
            // As the real agent: a 503's Retry-After plus a jitter of the first ceiling, the backoff not grown.
            delay = retryAfterMillis + home.backoff().delayMillis(0, ThreadLocalRandom.current());
        } else {
            // Otherwise the backoff (never longer than the failures have lasted), or the server's Retry-After
            // (a 429) when that is longer.
            long now = System.nanoTime();
            if (failures == 0) {
                failingSinceNanos = now;
            }
            long failingMillis = (now - failingSinceNanos) / 1_000_000;
            delay = Math.max(home.backoff().delayMillis(failures, failingMillis, ThreadLocalRandom.current()),
                    retryAfterMillis);
            if (home.backoff().grows(failures)) {
                failures++;
            }
        }
        retryAfterMillis = 0;
        paced = false;
        home.loop().schedule(() -> dial(false), delay, TimeUnit.MILLISECONDS);
    }

    /** The server refused the upgrade with {@code status} and said when to come back (0: it did not). */
    void retryAfter(int status, long seconds) {
        retryAfterMillis = seconds * 1000;
        paced = status == 503;
    }

    /** Closes for good: no reconnect. */
    void stop() {
        state = State.STOPPED;
        if (connection != null) {
            Channel ch = connection;
            ch.writeAndFlush(new CloseWebSocketFrame(CloseCodes.NORMAL, "bench done")).addListener(f -> ch.close());
        }
    }

    /** Ends the current connection with a close code (a protocol error, a dead peer) and reconnects later. */
    private void fail(int code, String reason) {
        if (code == CloseCodes.DEAD_PEER) {
            home.stats.failed("dead_server");
        } else if (code != CloseCodes.NORMAL) {
            home.stats.protocolErrors++;
        }
        Channel ch = connection;
        if (ch != null) {
            ch.writeAndFlush(new CloseWebSocketFrame(code, CloseCodes.fitReason(reason))).addListener(f -> ch.close());
        }
    }

    private void releaseRampSlot() {
        if (rampSlot) {
            rampSlot = false;
            home.releaseRampSlot();
        }
    }

    // ------------------------------------------------------------------ receiving

    void received(Channel ch, byte[] frame) {
        if (ch != connection) {
            return;
        }
        lastFrameNanos = System.nanoTime();
        try {
            FrameCodec.Decoded decoded = CODEC.decode(frame);
            Envelope envelope = decoded.envelope();
            if (state == State.HELLO_SENT) {
                welcome(envelope);
            } else if (state == State.ONLINE) {
                onEnvelope(envelope, decoded.unknownPayload());
            }
        } catch (ProtocolException e) {
            fail(e.closeCode(), e.closeReason());
        }
    }

    void closeReceived(int code) {
        home.stats.closed(code);
    }

    private void welcome(Envelope envelope) throws ProtocolException {
        if (envelope.getPayloadCase() != Envelope.PayloadCase.WELCOME) {
            throw new ProtocolException(CloseCodes.PROTOCOL_ERROR,
                    "expected welcome, got " + envelope.getPayloadCase().name().toLowerCase());
        }
        Welcome welcome = envelope.getWelcome();
        if (welcome.getAppliedAgentSeq() < serverAcked) {
            // The server acknowledged these before and now says it never applied them: they are gone.
            home.stats.ackRegressions += serverAcked - welcome.getAppliedAgentSeq();
        }
        channel.resume(welcome.getAppliedAgentSeq(), Math.max(1, welcome.getResumeServerSeq()));
        long now = System.nanoTime();
        state = State.ONLINE;
        everOnline = true;
        welcomeNanos = now;
        intervalNanos = TimeUnit.MILLISECONDS.toNanos(Math.max(50, welcome.getHeartbeatIntervalMs()));
        home.stats.welcomes++;
        home.stats.lastWelcomeNanos = now;
        home.stats.connect.record((now - dialNanos) / 1000);
        releaseRampSlot();
        acknowledged(welcome.getAppliedAgentSeq(), now);
        home.online(this, intervalNanos);
        heartbeat(now);
        pump();
    }

    private void onEnvelope(Envelope envelope, boolean unknownPayload) throws ProtocolException {
        long now = System.nanoTime();
        channel.onAck(envelope.getAck());
        acknowledged(envelope.getAck(), now);
        if (unknownPayload) {
            if (envelope.getSeq() > 0) {
                applyReliable(envelope);
            }
        } else {
            switch (envelope.getPayloadCase()) {
                case HEARTBEAT_ACK -> heartbeatAcknowledged(now);
                case ACK_ONLY -> { }
                case GO_AWAY -> fail(CloseCodes.NORMAL, "go away");
                case WELCOME -> throw new ProtocolException(CloseCodes.PROTOCOL_ERROR, "welcome sent twice");
                case COMMAND -> {
                    if (applyReliable(envelope)) {
                        runJob(envelope.getCommand());
                    }
                }
                default -> {
                    if (Payloads.isReliable(envelope)) {
                        applyReliable(envelope);
                    }
                }
            }
        }
        topUp();
        pump();
    }

    /**
     * Server → agent reliable payloads are marked applied (the next frame acknowledges them); config
     * and cancels are no-ops. Returns whether this is the first time this seq arrived.
     */
    private boolean applyReliable(Envelope envelope) throws ProtocolException {
        home.stats.reliableFromServer++;
        if (channel.receive(envelope.getSeq()) == Receipt.APPLY) {
            channel.markApplied(envelope.getSeq());
            return true;
        }
        home.stats.duplicatesFromServer++;
        return false;
    }

    /**
     * A command: the job starts and succeeds at once, reported as the real agent reports it (JobStarted, then
     * JobFinished, both reliable). The started event carries the ack of the request.
     */
    private void runJob(CommandRequest request) {
        LoopStats stats = home.stats;
        stats.commandsReceived++;
        if (stats.commandMarkMicros > 0) {
            stats.commandDelivery.record(Math.max(0, EpochMicros.now() - stats.commandMarkMicros));
        }
        channel.publish(Envelope.newBuilder().setJobEvent(JobEvent.newBuilder().setJobId(request.getJobId())
                .setStarted(JobStarted.newBuilder().setPid(1))).build());
        Envelope finished = channel.publish(Envelope.newBuilder().setJobEvent(JobEvent.newBuilder()
                .setJobId(request.getJobId())
                .setFinished(JobFinished.newBuilder().setOutcome(JobFinished.Outcome.SUCCEEDED))).build());
        if (unackedJobEnds == null) {
            unackedJobEnds = new ArrayDeque<>(2);
        }
        unackedJobEnds.add(finished.getSeq());
    }

    private void jobEndsAcknowledged(long ack) {
        while (!unackedJobEnds.isEmpty() && unackedJobEnds.peekFirst() <= ack) {
            unackedJobEnds.pollFirst();
            LoopStats stats = home.stats;
            stats.jobsFinished++;
            if (stats.commandMarkMicros > 0) {
                stats.jobEnd.record(Math.max(0, EpochMicros.now() - stats.commandMarkMicros));
            }
        }
    }

    private void heartbeatAcknowledged(long now) {
        home.stats.heartbeatAcks++;
        if (heartbeatSentNanos != 0) {
            home.stats.heartbeatRtt.record((now - heartbeatSentNanos) / 1000);
            heartbeatSentNanos = 0;
        }
        if (now - welcomeNanos >= intervalNanos) {
            // A healthy session, as the real agent defines it: the next failure backs off from the start.
            failures = 0;
        }
    }

    private void acknowledged(long ack, long now) {
        if (ack <= serverAcked) {
            return;
        }
        if (publishedAt != null) {
            for (long seq = serverAcked + 1; seq <= ack; seq++) {
                long at = publishedAt[(int) (seq % publishedAt.length)];
                if (at != 0) {
                    home.stats.ackLatency.record((now - at) / 1000);
                    publishedAt[(int) (seq % publishedAt.length)] = 0;
                }
            }
        }
        serverAcked = ack;
        if (unackedJobEnds != null) {
            jobEndsAcknowledged(ack);
        }
        if (channel.depth() == 0) {
            home.stats.lastDrainNanos = now;
        }
    }

    // ------------------------------------------------------------------ sending

    /** Called by the heartbeat wheel once per interval while online. */
    @Override
    public void tick(long now) {
        if (now - lastFrameNanos > Limits.MISSED_HEARTBEATS * intervalNanos) {
            fail(CloseCodes.DEAD_PEER, "no frame from the server for "
                    + Limits.MISSED_HEARTBEATS + " heartbeat intervals");
            return;
        }
        heartbeat(now);
    }

    private void heartbeat(long now) {
        Heartbeat heartbeat = Heartbeat.newBuilder()
                .setCpuPercent(1.0)
                .setMemUsedBytes(HOST_MEMORY / 4)
                .setMemTotalBytes(HOST_MEMORY)
                .setOutboxDepth(channel.depth())
                .setUptimeS((now - startedNanos) / 1_000_000_000L)
                .build();
        write(Envelope.newBuilder().setHeartbeat(heartbeat).setAck(channel.takeAck())
                .setTsMs(System.currentTimeMillis()).build());
        connection.flush();
        heartbeatSentNanos = now;
        home.stats.heartbeatsSent++;
    }

    /**
     * Publishes {@code count} events {@code {"run": R, "n": i}} into the outbox, at most
     * {@code pendingLimit} unacknowledged at a time (the rest as acks come in).
     */
    void publish(long count, long pendingLimit, String run) {
        toPublish += count;
        maxPending = pendingLimit;
        runId = run;
        topUp();
        if (state == State.ONLINE) {
            pump();
        }
    }

    private void topUp() {
        while (toPublish > 0 && channel.depth() < maxPending) {
            String json = "{\"run\":\"" + runId + "\",\"n\":" + nextN++ + "}";
            Envelope stored = channel.publish(Envelope.newBuilder().setAgentEvent(AgentEvent.newBuilder()
                    .setType("bench.event")
                    .setPayloadJson(ByteString.copyFrom(json, StandardCharsets.UTF_8))
                    .setOccurredMs(System.currentTimeMillis())).build());
            if (publishedAt != null) {
                publishedAt[(int) (stored.getSeq() % publishedAt.length)] = System.nanoTime();
            }
            toPublish--;
            home.stats.published++;
        }
    }

    /** Sends what the window allows, then a bare ack if one is due and nothing carried it. */
    void pump() {
        if (state != State.ONLINE || connection == null) {
            return;
        }
        boolean wrote = false;
        while (connection.isWritable() && channel.sendable()) {
            List<Envelope> batch = channel.nextBatch(SEND_BATCH);
            for (Envelope envelope : batch) {
                write(envelope.toBuilder().setAck(channel.takeAck()).setTsMs(System.currentTimeMillis()).build());
                wrote = true;
            }
        }
        if (!wrote && channel.ackDue()) {
            write(Envelope.newBuilder().setAckOnly(Ack.getDefaultInstance()).setAck(channel.takeAck())
                    .setTsMs(System.currentTimeMillis()).build());
            wrote = true;
        }
        if (wrote) {
            connection.flush();
        }
    }

    private void write(Envelope envelope) {
        connection.write(new BinaryWebSocketFrame(Unpooled.wrappedBuffer(FrameCodec.encode(envelope))),
                connection.voidPromise());
    }
}
