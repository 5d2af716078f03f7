package dev.tether.agent.connection.websocket;

import dev.tether.protocol.CloseCodes;
import dev.tether.protocol.ProtocolException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;

/**
 * {@link WebSocket} over a blocking socket, plain or TLS, after a completed upgrade.
 *
 * <p>Thread safety: {@link #receive} belongs to one reader thread (it owns the {@link FrameReader}); sends
 * take {@link #sendLock}, so the reader's pongs and the writer's frames never interleave; {@link #abort()}
 * closes the TCP socket without any lock, which is how a stalled send is ended (see {@link #writeStalled()}).
 */
final class RealWebSocket implements WebSocket {

    /** The TCP socket: closing it ends blocked reads and writes, TLS or not. */
    private final Socket tcp;
    /** What frames are read from and written to: {@link #tcp}, or the TLS socket layered over it. */
    private final Socket socket;
    private final FrameReader reader;
    private final FrameWriter writer;
    private final Duration writeTimeout;
    private final ReentrantLock sendLock = new ReentrantLock();
    /** When the send in progress began ({@code System.nanoTime()}, never 0); 0 when none. Set under the lock. */
    private volatile long sendingSince;
    /** Set by the reader thread once a read failed: the stream's position is then unknown. */
    private boolean inputFailed;

    RealWebSocket(Socket tcp, Socket socket, InputStream in, OutputStream out, int maxMessageBytes,
            Duration writeTimeout, SecureRandom masks) {
        this.tcp = tcp;
        this.socket = socket;
        this.writeTimeout = writeTimeout;
        this.writer = new FrameWriter(out, masks);
        this.reader = new FrameReader(in, maxMessageBytes, payload -> send(WebSocketProtocol.PONG, payload));
    }

    @Override
    public Inbound receive(long timeoutNanos) throws IOException, ProtocolException {
        if (inputFailed) {
            throw new IOException("the connection's input failed earlier");
        }
        // At least 1 ms: a timeout of 0 would mean "wait for ever".
        socket.setSoTimeout((int) Math.max(1, Math.min(Integer.MAX_VALUE, TimeUnit.NANOSECONDS.toMillis(timeoutNanos))));
        try {
            return reader.next();
        } catch (IOException | ProtocolException | RuntimeException e) {
            inputFailed = true;
            throw e;
        }
    }

    @Override
    public void sendBinary(byte[] message) throws IOException {
        send(WebSocketProtocol.BINARY, message);
    }

    /** The frames of all of them in one write. */
    @Override
    public void sendBinary(List<byte[]> messages) throws IOException {
        sendLock.lock();
        try {
            sendingSince = System.nanoTime() | 1;
            writer.write(WebSocketProtocol.BINARY, messages);
        } finally {
            sendingSince = 0;
            sendLock.unlock();
        }
    }

    @Override
    public void sendClose(int code, String reason) throws IOException {
        byte[] text = CloseCodes.fitReason(reason).getBytes(StandardCharsets.UTF_8);
        byte[] payload = new byte[2 + text.length];
        payload[0] = (byte) (code >>> 8);
        payload[1] = (byte) code;
        System.arraycopy(text, 0, payload, 2, text.length);
        send(WebSocketProtocol.CLOSE, payload);
    }

    private void send(int opcode, byte[] payload) throws IOException {
        sendLock.lock();
        try {
            sendingSince = System.nanoTime() | 1;
            writer.write(opcode, payload);
        } finally {
            sendingSince = 0;
            sendLock.unlock();
        }
    }

    @Override
    public boolean writeStalled() {
        long since = sendingSince;
        return since != 0 && System.nanoTime() - since > writeTimeout.toNanos();
    }

    @Override
    public Duration writeTimeout() {
        return writeTimeout;
    }

    @Override
    public void abort() {
        try {
            tcp.close();
        } catch (IOException e) {
            // Closed either way.
        }
    }
}
