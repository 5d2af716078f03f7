package dev.tether.agent.testing;

import dev.tether.agent.AgentConfig;
import dev.tether.agent.Backoff;
import dev.tether.protocol.FrameCodec;
import dev.tether.protocol.MemoryOutbox;
import dev.tether.protocol.Payloads;
import dev.tether.protocol.Peer;
import dev.tether.protocol.ProtocolException;
import dev.tether.protocol.Receipt;
import dev.tether.protocol.ReliableChannel;
import dev.tether.protocol.v1.Ack;
import dev.tether.protocol.v1.AgentEvent;
import dev.tether.protocol.v1.ConfigUpdate;
import dev.tether.protocol.v1.Envelope;
import dev.tether.protocol.v1.Envelope.PayloadCase;
import dev.tether.protocol.v1.HeartbeatAck;
import dev.tether.protocol.v1.Hello;
import dev.tether.protocol.v1.JobEvent;
import dev.tether.protocol.v1.JobFinished;
import dev.tether.protocol.v1.Welcome;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A Tether server as small as the agent's tests need, over a real socket: a
 * recording fake. It authenticates the upgrade, answers Hello with Welcome and
 * heartbeats with HeartbeatAck, applies and acknowledges the agent's reliable
 * payloads with the protocol's own {@link ReliableChannel} (its state outlives
 * connections, like a real server's database), and sends reliable payloads of
 * its own. Knobs make it reject keys, stall, fall silent or misbehave.
 *
 * <p>Thread safe: one thread per connection; frames are handled under the
 * server's lock, so the reliable state is changed by one connection at a time.
 */
public final class FakeTetherServer implements AutoCloseable {

    public static final String KEY = "tak_test-key-0123456789";

    private final ServerSocket listener;
    private final Thread acceptor;
    private final List<Connection> connections = new CopyOnWriteArrayList<>();
    private final List<Envelope> applied = new CopyOnWriteArrayList<>();
    private final List<String> problems = new CopyOnWriteArrayList<>();
    private final AtomicInteger upgrades = new AtomicInteger();
    /** Every reliable payload sent to the agent, by seq order, for replays. */
    private final List<Envelope> sentReliable = new CopyOnWriteArrayList<>();
    private final ShellRecorder shells = new ShellRecorder();

    /** Guarded by this. */
    private ReliableChannel channel = ReliableChannel.create(new MemoryOutbox(), 0);
    private Connection live;

    private volatile int rejectStatus;
    private volatile int heartbeatIntervalMs = 200;
    private volatile boolean acknowledge = true;
    private volatile boolean answerHeartbeats = true;
    private volatile boolean silent;
    private volatile long applyUpTo = Long.MAX_VALUE;
    private volatile ConfigUpdate config;
    private volatile long replayFrom;

    private FakeTetherServer() throws IOException {
        listener = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        acceptor = new Thread(this::accept, "fake-server-accept");
        acceptor.setDaemon(true);
        acceptor.start();
    }

    public static FakeTetherServer start() throws IOException {
        return new FakeTetherServer();
    }

    public URI url() {
        return URI.create("http://127.0.0.1:" + listener.getLocalPort());
    }

    /** A config for an agent of this server: plain HTTP allowed, a fast backoff. */
    public AgentConfig.Builder agentConfig(Path stateDir) {
        return AgentConfig.builder()
                .server(url())
                .key(KEY)
                .stateDir(stateDir)
                .insecure(true)
                .backoff(new Backoff(Duration.ofMillis(20), 2.0, Duration.ofMillis(200)));
    }

    // ------------------------------------------------------------------ knobs

    /** Answers every upgrade with this HTTP status (0: accept). */
    public void rejectWith(int status) {
        rejectStatus = status;
    }

    public void heartbeatIntervalMs(int millis) {
        heartbeatIntervalMs = millis;
    }

    /** Whether applied agent payloads are acknowledged. */
    public void acknowledge(boolean on) {
        acknowledge = on;
    }

    public void answerHeartbeats(boolean on) {
        answerHeartbeats = on;
    }

    /** After the Welcome, answer nothing at all: a hung server. */
    public void silent(boolean on) {
        silent = on;
    }

    /** Applies agent seqs up to this one; later ones are received and ignored (a stuck server). */
    public void applyUpTo(long seq) {
        applyUpTo = seq;
    }

    /** The configuration offered in Welcome when newer than the agent's. */
    public void config(long version, String json) {
        config = ConfigUpdate.newBuilder().setVersion(version)
                .setConfigJson(com.google.protobuf.ByteString.copyFromUtf8(json)).build();
    }

    /**
     * On the next connection, sends again every reliable payload from {@code seq}
     * on, with its old seq, before anything new: a server that lost the agent's
     * acknowledgements (its database restored from an older copy).
     */
    public void replayOnNextConnection(long seq) {
        replayFrom = seq;
    }

    // ------------------------------------------------------------------ recordings

    public int upgrades() {
        return upgrades.get();
    }

    public List<Connection> connections() {
        return connections;
    }

    /** The connection that completed the n-th handshake (from 1). */
    public Connection connection(int n) {
        return connections.stream().filter(c -> c.hello != null).skip(n - 1).findFirst()
                .orElseThrow(() -> new AssertionError("no connection #" + n + " yet"));
    }

    public long handshakes() {
        return connections.stream().filter(c -> c.hello != null).count();
    }

    /** Reliable agent payloads applied, in order, each once. */
    public List<Envelope> applied() {
        return applied;
    }

    public List<AgentEvent> appliedEvents() {
        return applied.stream().filter(Envelope::hasAgentEvent).map(Envelope::getAgentEvent).toList();
    }

    public List<String> appliedEventTypes() {
        return appliedEvents().stream().map(AgentEvent::getType).toList();
    }

    /** Job events applied, in order, each once. */
    public List<JobEvent> jobEvents(String jobId) {
        return applied.stream().filter(Envelope::hasJobEvent).map(Envelope::getJobEvent)
                .filter(e -> e.getJobId().equals(jobId)).toList();
    }

    /** The job's final report, null until it arrived. */
    public JobFinished finished(String jobId) {
        return jobEvents(jobId).stream().filter(JobEvent::hasFinished).map(JobEvent::getFinished)
                .findFirst().orElse(null);
    }

    /** Every job event's output bytes of one stream, concatenated, as UTF-8 text. */
    public String output(String jobId, dev.tether.protocol.v1.JobOutput.Stream stream) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        jobEvents(jobId).stream().filter(JobEvent::hasOutput).map(JobEvent::getOutput)
                .filter(o -> o.getStream() == stream).forEach(o -> out.writeBytes(o.getData().toByteArray()));
        return out.toString(StandardCharsets.UTF_8);
    }

    /** The agent's shell frames, by session. */
    public ShellRecorder shells() {
        return shells;
    }

    /** Protocol violations the server saw; a test expects none unless it provoked them. */
    public List<String> problems() {
        return problems;
    }

    // ------------------------------------------------------------------ actions

    /** Queues a reliable payload for the agent and sends it now if connected. */
    public synchronized Envelope sendReliable(Envelope payload) {
        Envelope stored = channel.publish(payload);
        pushReliable();
        return stored;
    }

    /** Sends a live payload (shell traffic) on the current connection. */
    public void sendLive(Envelope payload) throws IOException {
        Connection connection;
        synchronized (this) {
            connection = live;
        }
        if (connection == null) {
            throw new IOException("no agent is connected");
        }
        shells.sending(payload);
        connection.send(payload);
    }

    /** Forgets what was applied after {@code seq}: the server's database was restored from an older copy. */
    public synchronized void restoreAppliedTo(long seq) {
        channel = ReliableChannel.create(new MemoryOutbox(), seq);
        applied.removeIf(e -> e.getSeq() > seq);
    }

    /** Server payloads the agent has not acknowledged yet. */
    public synchronized long pendingForAgent() {
        return channel.depth();
    }

    public synchronized long appliedAgentSeq() {
        return channel.applied();
    }

    // ------------------------------------------------------------------ connections

    private void accept() {
        while (!listener.isClosed()) {
            try {
                Socket socket = listener.accept();
                Connection connection = new Connection(socket);
                connections.add(connection);
                Thread thread = new Thread(connection::serve, "fake-server-connection-" + connections.size());
                thread.setDaemon(true);
                thread.start();
            } catch (IOException e) {
                return;
            }
        }
    }

    private synchronized void onFrame(Connection connection, byte[] frame) throws ProtocolException, IOException {
        if (silent && connection.hello != null) {
            return;
        }
        Envelope envelope = FrameCodec.receivingFrom(Peer.AGENT).decode(frame).envelope();
        connection.received.add(envelope);
        if (envelope.hasHello()) {
            welcome(connection, envelope.getHello());
            return;
        }
        if (connection != live) {
            return;
        }
        channel.onAck(envelope.getAck());
        if (ShellRecorder.isShell(envelope)) {
            int grant = shells.record(envelope);
            if (grant > 0) {
                Envelope credit = ShellMessages.credit(envelope.getShellOutput().getSessionId(), grant);
                shells.sending(credit);
                connection.send(credit);
            }
        }
        if (envelope.hasHeartbeat() && answerHeartbeats) {
            connection.send(Envelope.newBuilder().setHeartbeatAck(HeartbeatAck.getDefaultInstance()).build());
        }
        if (Payloads.isReliable(envelope) && envelope.getSeq() <= applyUpTo) {
            if (channel.receive(envelope.getSeq()) == Receipt.APPLY) {
                applied.add(envelope);
                channel.markApplied(envelope.getSeq(), envelope.getStamp());
            }
            if (acknowledge && channel.ackDue()) {
                connection.send(Envelope.newBuilder().setAckOnly(Ack.getDefaultInstance())
                        .setAck(channel.takeAck()).build());
            }
        }
        pushReliable();
    }

    private void welcome(Connection connection, Hello hello) throws ProtocolException, IOException {
        connection.hello = hello;
        channel.end();
        live = connection;
        Welcome.Builder welcome = Welcome.newBuilder()
                .setProtocolVersion(1)
                .setSessionId("session-" + connections.indexOf(connection))
                .setHeartbeatIntervalMs(heartbeatIntervalMs)
                .setAppliedAgentSeq(channel.applied())
                .setAppliedAgentStamp(channel.appliedStamp())
                .setResumeServerSeq(channel.resumeSeq())
                .setAgentId("agent-1")
                .setAgentName("test-agent");
        ConfigUpdate offered = config;
        if (offered != null && offered.getVersion() > hello.getConfigVersion()) {
            welcome.setConfig(offered);
        }
        connection.send(Envelope.newBuilder().setWelcome(welcome).build());
        channel.resume(hello.getAppliedServerSeq(), hello.getAppliedServerStamp(), hello.getResumeAgentSeq());
        if (replayFrom > 0) {
            for (Envelope old : sentReliable) {
                if (old.getSeq() >= replayFrom && old.getSeq() <= hello.getAppliedServerSeq()) {
                    connection.send(old);
                }
            }
            replayFrom = 0;
        }
        pushReliable();
    }

    /** Guarded by this. */
    private void pushReliable() {
        if (live == null || !channel.inSession()) {
            return;
        }
        try {
            for (Envelope envelope : channel.nextBatch(64)) {
                if (sentReliable.stream().noneMatch(e -> e.getSeq() == envelope.getSeq())) {
                    sentReliable.add(envelope);
                }
                live.send(envelope.toBuilder().setAck(channel.takeAck()).build());
            }
        } catch (IOException e) {
            // The connection is gone; the payloads are replayed on the next one.
        }
    }

    private synchronized void connectionEnded(Connection connection) {
        if (live == connection) {
            live = null;
            channel.end();
        }
    }

    @Override
    public void close() throws IOException {
        listener.close();
        for (Connection connection : connections) {
            connection.drop();
        }
    }

    /** One accepted socket: the upgrade, then frames until it closes. */
    public final class Connection {

        private final Socket socket;
        private final OutputStream out;
        private final List<Envelope> received = new CopyOnWriteArrayList<>();
        private volatile Map<String, String> headers = Map.of();
        private volatile Hello hello;
        private volatile int closeCode;
        private volatile String closeReason;
        private volatile boolean ended;

        Connection(Socket socket) throws IOException {
            this.socket = socket;
            this.out = socket.getOutputStream();
        }

        void serve() {
            try (socket) {
                InputStream in = socket.getInputStream();
                WebSocketFrames.Request request = WebSocketFrames.readRequest(in);
                headers = request.headers();
                upgrades.incrementAndGet();
                if (!upgrade(request)) {
                    return;
                }
                readFrames(in);
            } catch (IOException e) {
                // The agent went away, or the test dropped the connection.
            } catch (ProtocolException e) {
                problems.add(e.getMessage());
                closeQuietly(e.closeCode(), e.closeReason());
            } finally {
                ended = true;
                connectionEnded(this);
            }
        }

        private boolean upgrade(WebSocketFrames.Request request) throws IOException {
            if (!request.path().equals("/v1/agents/connect")) {
                WebSocketFrames.writeError(out, 404, "{\"error\":\"not_found\"}");
                return false;
            }
            int status = rejectStatus;
            if (status == 0 && !("Bearer " + KEY).equals(headers.get("authorization"))) {
                status = 401;
            }
            if (status != 0) {
                WebSocketFrames.writeError(out, status,
                        "{\"error\":\"unauthorized\",\"message\":\"unknown or revoked agent key\"}");
                return false;
            }
            WebSocketFrames.writeSwitchingProtocols(out, headers.get("sec-websocket-key"));
            return true;
        }

        private void readFrames(InputStream in) throws IOException, ProtocolException {
            ByteArrayOutputStream message = new ByteArrayOutputStream();
            while (true) {
                WebSocketFrames.Frame frame = WebSocketFrames.readFrame(in);
                switch (frame.opcode()) {
                    case WebSocketFrames.CLOSE -> {
                        // The reason first: tests wait for the code, then read the reason.
                        closeReason = WebSocketFrames.closeReason(frame.payload());
                        closeCode = WebSocketFrames.closeCode(frame.payload());
                        writeFrame(WebSocketFrames.CLOSE, WebSocketFrames.closePayload(closeCode, ""));
                        return;
                    }
                    case WebSocketFrames.PING -> writeFrame(WebSocketFrames.PONG, frame.payload());
                    case WebSocketFrames.PONG -> {
                    }
                    case WebSocketFrames.TEXT -> throw FrameCodec.textFrame();
                    case WebSocketFrames.BINARY, WebSocketFrames.CONTINUATION -> {
                        message.write(frame.payload());
                        if (frame.fin()) {
                            onFrame(this, message.toByteArray());
                            message.reset();
                        }
                    }
                    default -> throw new IOException("unknown opcode " + frame.opcode());
                }
            }
        }

        public void send(Envelope envelope) throws IOException {
            writeFrame(WebSocketFrames.BINARY, envelope.toByteArray());
        }

        /** Sends one raw frame, for tests of what the agent must refuse. */
        public void sendFrame(int opcode, byte[] payload) throws IOException {
            writeFrame(opcode, payload);
        }

        public void sendText(String text) throws IOException {
            writeFrame(WebSocketFrames.TEXT, text.getBytes(StandardCharsets.UTF_8));
        }

        private void writeFrame(int opcode, byte[] payload) throws IOException {
            synchronized (out) {
                WebSocketFrames.writeFrame(out, opcode, payload);
            }
        }

        /** Closes with a close frame, as a server does when it replaces or revokes. */
        public void close(int code, String reason) throws IOException {
            writeFrame(WebSocketFrames.CLOSE, WebSocketFrames.closePayload(code, reason));
        }

        private void closeQuietly(int code, String reason) {
            try {
                close(code, reason);
            } catch (IOException e) {
                // Already gone.
            }
        }

        /** Cuts the TCP connection without a close frame: a crashed server or a broken network. */
        public void drop() {
            try {
                socket.setSoLinger(true, 0);
                socket.close();
            } catch (IOException e) {
                // Already closed.
            }
        }

        public Map<String, String> headers() {
            return headers;
        }

        public Hello hello() {
            return hello;
        }

        public List<Envelope> received() {
            return received;
        }

        public List<Envelope> received(PayloadCase payload) {
            return received.stream().filter(e -> e.getPayloadCase() == payload).toList();
        }

        /** Seqs of the reliable payloads received on this connection, in arrival order. */
        public List<Long> reliableSeqs() {
            return received.stream().filter(Payloads::isReliable).map(Envelope::getSeq).toList();
        }

        public int closeCode() {
            return closeCode;
        }

        public String closeReason() {
            return closeReason;
        }

        public boolean ended() {
            return ended;
        }
    }
}
