package dev.tether.server.shell;

import com.google.protobuf.ByteString;
import dev.tether.protocol.Limits;
import dev.tether.protocol.v1.Envelope;
import dev.tether.protocol.v1.ShellClose;
import dev.tether.protocol.v1.ShellCredit;
import dev.tether.protocol.v1.ShellError;
import dev.tether.protocol.v1.ShellExit;
import dev.tether.protocol.v1.ShellInput;
import dev.tether.protocol.v1.ShellOpen;
import dev.tether.protocol.v1.ShellOutput;
import dev.tether.protocol.v1.ShellReady;
import dev.tether.protocol.v1.ShellResize;
import dev.tether.server.hub.LiveConnection;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.ServerWebSocket;
import java.util.concurrent.CompletableFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One shell session as the server relays it: between at most one terminal
 * client (a browser or the CLI) and the agent's connection, either of which
 * may go away and come back while the session lives.
 *
 * <p><b>Output</b> is flow-controlled end to end: the agent may send what the
 * relay granted ({@link Limits#SHELL_WINDOW_BYTES} at each open or attach, then
 * {@link ShellCredit}); each chunk is written to the client and to the
 * recording, and only when both are done is its size granted back. So what
 * this relay buffers never exceeds the window, whatever the client's speed.
 * Output offsets make a re-attach exact: the relay asks the agent to resume
 * from the first byte its client has not received.
 *
 * <p><b>Input</b> is sent within the credit the agent grants; while there is
 * none, the client's socket is paused with at most the one message that did not
 * fit waiting here.
 *
 * <p>Thread safe: every method is {@code synchronized}; it is called from the
 * agent's event loop, the client's event loop and the broker's timer, never
 * blocks, and does file and database work only through the {@link Recorder}
 * and the broker's executor.
 */
final class ShellRelay {

    /** Output completed and not yet granted back is granted when it reaches this. */
    static final int GRANT_STEP = Limits.SHELL_CHUNK_BYTES;
    private static final Logger LOG = LoggerFactory.getLogger(ShellRelay.class);

    private enum State { OPENING, ATTACHING, RUNNING, ENDED }

    private final ShellId id;
    private final ShellRequest request;
    private final ShellBroker broker;
    private final Recorder recorder;

    // All guarded by this.
    private State state = State.OPENING;
    private ServerWebSocket client;
    private LiveConnection agent;
    /** Whether the agent has this session attached (a detach or a dropped link clears it). */
    private boolean agentAttached;
    /** Bumped on every open or attach: completions of output from an earlier one grant nothing. */
    private int generation;
    /** The offset of the next output byte the current client needs. */
    private long nextOffset;
    private long buffered;
    private long ungranted;
    /** Output bytes the agent may still send on this link: the window at each open, plus each grant. */
    private long outputCredit;
    private long inputCredit;
    private Buffer pendingInput;
    private boolean clientPaused;
    private int rows;
    private int cols;
    private long pid;
    private long bytesIn;
    private long bytesOut;
    private long lastActivityNanos = System.nanoTime();
    private long awaySinceNanos;
    private long detachedSinceNanos;

    ShellRelay(ShellId id, ShellRequest request, ShellBroker broker, Recorder recorder) {
        this.id = id;
        this.request = request;
        this.broker = broker;
        this.recorder = recorder;
        this.rows = request.rows();
        this.cols = request.cols();
    }

    ShellId id() {
        return id;
    }

    String agentId() {
        return request.agentId();
    }

    /** Who opened the session; the session, its record and its recording stay theirs. */
    String owner() {
        return request.actor();
    }

    /** Whether {@code user} may attach: the session's own user, or an admin (a takeover, audited). */
    boolean mayAttach(String user, boolean admin) {
        return admin || owner().equals(user);
    }

    // ------------------------------------------------------------ clients

    /** Starts the session on the agent for its first client. */
    synchronized void start(ServerWebSocket first, LiveConnection link) {
        bind(first);
        agent = link;
        sendOpen(false, 0);
    }

    /**
     * Takes over a session another node relayed until the agent moved here: running on {@code link},
     * detached (the detach timeout runs) until a client attaches.
     */
    synchronized void adopt(LiveConnection link) {
        agent = link;
        agentAttached = false;
        state = State.RUNNING;
        detachedSinceNanos = System.nanoTime();
    }

    /**
     * A client re-attaches with the session id, from output offset {@code resumeOffset}; a client attached
     * before is told and disconnected.
     */
    synchronized void attach(ServerWebSocket next, long resumeOffset) {
        if (state == State.ENDED) {
            next.writeTextMessage(ClientFrames.error("not_found", "the session has ended"));
            next.close((short) 1000, "session ended");
            return;
        }
        if (client != null) {
            ServerWebSocket previous = client;
            client = null;
            previous.writeTextMessage(ClientFrames.error("attached_elsewhere",
                    "another client attached to this session"));
            previous.close((short) 1000, "attached elsewhere");
        }
        bind(next);
        nextOffset = resumeOffset;
        dropPendingInput();
        if (agent != null) {
            if (agentAttached) {
                sendToAgent(closeMessage(false, "client re-attached"));
                agentAttached = false;
            }
            sendOpen(true, resumeOffset);
        }
    }

    private void bind(ServerWebSocket ws) {
        client = ws;
        clientPaused = false;
        detachedSinceNanos = 0;
        lastActivityNanos = System.nanoTime();
        ws.binaryMessageHandler(data -> onInput(ws, data));
        ws.textMessageHandler(text -> onControl(ws, text));
        ws.closeHandler(v -> onClientClosed(ws));
        ws.exceptionHandler(failure -> LOG.debug("shell {}: client connection error", id, failure));
    }

    private synchronized void onInput(ServerWebSocket from, Buffer data) {
        if (from != client || state == State.ENDED) {
            return;
        }
        lastActivityNanos = System.nanoTime();
        pendingInput = pendingInput == null ? data.copy() : pendingInput.appendBuffer(data);
        flushInput();
    }

    private synchronized void onControl(ServerWebSocket from, String text) {
        if (from != client || state == State.ENDED) {
            return;
        }
        lastActivityNanos = System.nanoTime();
        ClientFrames.Control control;
        try {
            control = ClientFrames.parse(text);
        } catch (IllegalArgumentException e) {
            from.writeTextMessage(ClientFrames.error("bad_request", e.getMessage()));
            return;
        }
        switch (control) {
            case ClientFrames.Control.Resize resize -> resize(resize.rows(), resize.cols());
            case ClientFrames.Control.Close close -> terminate("closed", "closed by the client");
        }
    }

    private void resize(int newRows, int newCols) {
        rows = newRows;
        cols = newCols;
        recorder.resize(rows, cols);
        if (state == State.RUNNING && agentAttached) {
            sendResize();
        }
    }

    private synchronized void onClientClosed(ServerWebSocket ws) {
        if (ws != client) {
            return;
        }
        client = null;
        detachedSinceNanos = System.nanoTime();
        dropPendingInput();
        if (state == State.RUNNING && agentAttached) {
            sendToAgent(closeMessage(false, "client detached"));
            agentAttached = false;
        }
        // OPENING or ATTACHING: detached when the agent's ready arrives.
    }

    // ------------------------------------------------------------ the agent

    /**
     * A shell payload from the agent's live connection {@code from}.
     *
     * @return false for output beyond the credit granted to this link, or that this relay cannot take, and for
     *     input credit this relay does not owe back (more than the input it sent): such messages are outside
     *     flow control, and the connection charges them against its message rate
     */
    synchronized boolean fromAgent(LiveConnection from, Envelope envelope) {
        if (from != agent || state == State.ENDED) {
            return !envelope.hasShellOutput() && !envelope.hasShellCredit();
        }
        switch (envelope.getPayloadCase()) {
            case SHELL_READY -> ready(envelope.getShellReady());
            case SHELL_ERROR -> error(envelope.getShellError());
            case SHELL_OUTPUT -> {
                return output(envelope.getShellOutput());
            }
            case SHELL_CREDIT -> {
                long returned = Integer.toUnsignedLong(envelope.getShellCredit().getBytes());
                // Credit comes back for input this relay sent, so at most one credit per ShellInput: within
                // flow control, however fast someone types. More than was spent is not.
                boolean owed = inputCredit + returned <= Limits.SHELL_WINDOW_BYTES;
                inputCredit += returned;
                flushInput();
                return owed;
            }
            case SHELL_EXIT -> exited(envelope.getShellExit());
            default -> LOG.debug("shell {}: ignoring {}", id, envelope.getPayloadCase());
        }
        return true;
    }

    private void ready(ShellReady ready) {
        if (state != State.OPENING && state != State.ATTACHING) {
            return;
        }
        boolean reattached = state == State.ATTACHING;
        state = State.RUNNING;
        agentAttached = true;
        pid = ready.getPid();
        nextOffset = ready.getOutputOffset();
        inputCredit = Limits.SHELL_WINDOW_BYTES;
        if (client == null) {
            sendToAgent(closeMessage(false, "client detached"));
            agentAttached = false;
            return;
        }
        client.writeTextMessage(ClientFrames.ready(id, pid, ready.getAttached(), nextOffset));
        if (reattached) {
            sendResize();
        }
        flushInput();
    }

    private void error(ShellError error) {
        boolean opening = state == State.OPENING || state == State.ATTACHING;
        if (opening || "not_found".equals(error.getCode()) || "flow_control".equals(error.getCode())) {
            end(opening ? "refused" : "agent_lost", null, null, error.getCode(), error.getMessage());
        } else if (client != null) {
            client.writeTextMessage(ClientFrames.error(error.getCode(), error.getMessage()));
        }
    }

    /**
     * @return false, the output dropped, when it was beyond the agent's credit or not expected: what this relay
     *     buffers stays within the window whatever the agent sends
     */
    private boolean output(ShellOutput output) {
        ByteString data = output.getData();
        if (state != State.RUNNING || !agentAttached || data.size() > outputCredit) {
            return false;
        }
        outputCredit -= data.size();
        relay(output, data);
        return true;
    }

    private void relay(ShellOutput output, ByteString data) {
        long skip = nextOffset - output.getOffset();
        if (skip >= data.size()) {
            return;
        }
        if (skip > 0) {
            data = data.substring((int) skip);
        } else if (skip < 0) {
            LOG.warn("shell {}: {} output bytes missing at offset {}", id, -skip, nextOffset);
        }
        nextOffset = output.getOffset() + output.getData().size();
        lastActivityNanos = System.nanoTime();
        forward(data.toByteArray());
    }

    /** Writes a chunk to the client and the recording; grants its size back when both are done. */
    private void forward(byte[] bytes) {
        bytesOut += bytes.length;
        buffered += bytes.length;
        broker.noteBuffered(bytes.length, buffered);
        int chunkGeneration = generation;
        CompletableFuture<Void> recorded = recorder.output(bytes);
        Future<Void> written = client != null ? client.writeBinaryMessage(Buffer.buffer(bytes)) : Future.succeededFuture();
        CompletableFuture.allOf(recorded, written.toCompletionStage().toCompletableFuture().exceptionally(e -> null))
                .whenComplete((done, failure) -> completed(chunkGeneration, bytes.length));
    }

    private synchronized void completed(int chunkGeneration, int size) {
        buffered -= size;
        broker.noteBuffered(-size, buffered);
        if (chunkGeneration != generation || state != State.RUNNING || !agentAttached) {
            return;
        }
        ungranted += size;
        if (ungranted >= GRANT_STEP || buffered == 0) {
            sendToAgent(Envelope.newBuilder().setShellCredit(ShellCredit.newBuilder()
                    .setSessionId(id.bytes()).setBytes((int) ungranted)).build());
            outputCredit += ungranted;
            ungranted = 0;
        }
    }

    private void exited(ShellExit exit) {
        String signal = exit.getSignal().isEmpty() ? null : exit.getSignal();
        end("exited", exit.getExitCode(), signal, null, null);
    }

    /** The agent's link dropped; the session waits for it (see {@link #agentBack}). */
    synchronized void agentGone(LiveConnection link) {
        if (link != agent || state == State.ENDED) {
            return;
        }
        agent = null;
        agentAttached = false;
        generation++;
        ungranted = 0;
        awaySinceNanos = System.nanoTime();
        if (client != null) {
            client.writeTextMessage(ClientFrames.status("disconnected"));
        }
    }

    /** The agent connected again; {@code alive} says whether it still has this session. */
    synchronized void agentBack(LiveConnection link, boolean alive) {
        if (state == State.ENDED || agent == link) {
            return;
        }
        if (!alive) {
            end("agent_lost", null, null, "agent_lost", state == State.OPENING
                    ? "the agent disconnected before the shell started" : "the agent restarted: the session is gone");
            return;
        }
        agent = link;
        agentAttached = false;
        if (client != null) {
            client.writeTextMessage(ClientFrames.status("reconnected"));
            sendOpen(true, nextOffset);
        } else {
            state = State.RUNNING;
        }
    }

    // ------------------------------------------------------------ ending

    /** Ends the session on the agent (telling it {@code message}) and here, as {@code reason}. */
    synchronized void terminate(String reason, String message) {
        if (state == State.ENDED) {
            return;
        }
        sendToAgent(closeMessage(true, message));
        end(reason, null, null, null, null);
    }

    /** Ends sessions idle, detached or without their agent for longer than {@code timeoutNanos}. */
    synchronized void sweep(long nowNanos, long timeoutNanos) {
        if (state == State.ENDED) {
            return;
        }
        String timeout = broker.idleTimeoutText();
        if (agent == null && nowNanos - awaySinceNanos > timeoutNanos) {
            end("agent_lost", null, null, "agent_lost", "the agent did not come back within " + timeout);
        } else if (client == null && detachedSinceNanos != 0 && nowNanos - detachedSinceNanos > timeoutNanos) {
            sendToAgent(closeMessage(true, "detached for " + timeout));
            end("detached_timeout", null, null, null, null);
        } else if (client != null && nowNanos - lastActivityNanos > timeoutNanos) {
            sendToAgent(closeMessage(true, "idle for " + timeout));
            end("idle", null, null, "idle", "no input or output for " + timeout + ": the session was closed");
        }
    }

    private void end(String reason, Integer exitCode, String signal, String errorCode, String errorMessage) {
        if (state == State.ENDED) {
            return;
        }
        state = State.ENDED;
        dropPendingInput();
        if (client != null) {
            if (errorCode != null) {
                client.writeTextMessage(ClientFrames.error(errorCode, errorMessage));
            }
            if (exitCode != null) {
                client.writeTextMessage(ClientFrames.exit(exitCode, signal));
            }
            client.close((short) 1000, exitCode != null ? "exited " + exitCode : reason);
            client = null;
        }
        CompletableFuture<Boolean> recordingTruncated = recorder.close();
        broker.ended(this, new ShellSessionRecord.End(System.currentTimeMillis(), bytesIn, bytesOut, exitCode, signal,
                reason, false), pid, recordingTruncated);
    }

    // ------------------------------------------------------------ to the agent

    private void sendOpen(boolean attach, long resumeOffset) {
        state = attach ? State.ATTACHING : State.OPENING;
        generation++;
        ungranted = 0;
        outputCredit = Limits.SHELL_WINDOW_BYTES;
        sendToAgent(Envelope.newBuilder().setShellOpen(ShellOpen.newBuilder()
                .setSessionId(id.bytes())
                .setRows(rows)
                .setCols(cols)
                .addAllCommand(request.command())
                .setTerm(request.term())
                .setAttach(attach)
                .setResumeOffset(resumeOffset)
                .setCredit(Limits.SHELL_WINDOW_BYTES)).build());
    }

    private void sendResize() {
        sendToAgent(Envelope.newBuilder().setShellResize(ShellResize.newBuilder()
                .setSessionId(id.bytes()).setRows(rows).setCols(cols)).build());
    }

    private void flushInput() {
        while (pendingInput != null && state == State.RUNNING && agentAttached && inputCredit > 0) {
            int size = (int) Math.min(Math.min(inputCredit, Limits.SHELL_CHUNK_BYTES), pendingInput.length());
            Buffer chunk = pendingInput.getBuffer(0, size);
            pendingInput = size == pendingInput.length() ? null : pendingInput.getBuffer(size, pendingInput.length());
            inputCredit -= size;
            bytesIn += size;
            recorder.input(chunk.getBytes());
            sendToAgent(Envelope.newBuilder().setShellInput(ShellInput.newBuilder()
                    .setSessionId(id.bytes()).setData(ByteString.copyFrom(chunk.getBytes()))).build());
        }
        pauseClient(pendingInput != null);
    }

    private void dropPendingInput() {
        pendingInput = null;
        pauseClient(false);
    }

    private void pauseClient(boolean pause) {
        if (client == null || pause == clientPaused) {
            return;
        }
        clientPaused = pause;
        if (pause) {
            client.pause();
        } else {
            client.resume();
        }
    }

    private Envelope closeMessage(boolean terminate, String reason) {
        return Envelope.newBuilder().setShellClose(ShellClose.newBuilder()
                .setSessionId(id.bytes()).setTerminate(terminate).setReason(reason)).build();
    }

    private void sendToAgent(Envelope envelope) {
        if (agent != null) {
            agent.sendLive(envelope);
        }
    }
}
