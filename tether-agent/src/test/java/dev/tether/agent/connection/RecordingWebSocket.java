package dev.tether.agent.connection;

import com.google.protobuf.InvalidProtocolBufferException;
import dev.tether.agent.connection.websocket.WebSocket;
import dev.tether.protocol.v1.Envelope;
import java.io.IOException;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

/**
 * A {@link WebSocket} that records what is sent. With {@link #holdSends} each
 * send blocks until {@link #completeSend()}, like a slow network; with
 * {@link #failSends} or {@link #failClose} sends fail, like a cut link. What the
 * server sends is queued by the test ({@link #serverCloses}); {@link #abort()}
 * fails a blocked receive, as closing a socket does.
 */
final class RecordingWebSocket implements WebSocket {

    private static final Inbound ABORTED = new Inbound.Activity();

    final List<Envelope> sent = new CopyOnWriteArrayList<>();
    /** The thread that sent each of {@link #sent}. */
    final List<String> senders = new CopyOnWriteArrayList<>();
    private final BlockingQueue<Inbound> inbound = new LinkedBlockingQueue<>();
    private final Semaphore released = new Semaphore(0);
    private volatile int outstanding;
    volatile boolean holdSends;
    volatile int closeCode = -1;
    volatile String closeReason;
    /** When set, every binary send fails with it. */
    volatile IOException failSends;
    /** When set, every binary send throws it: an out-of-memory or a stack overflow inside the send. */
    volatile Error errorInSends;
    /** When set, the close frame fails with it. */
    volatile IOException failClose;
    volatile boolean aborted;

    @Override
    public Inbound receive(long timeoutNanos) throws IOException {
        Inbound next;
        try {
            next = inbound.poll(timeoutNanos, TimeUnit.NANOSECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted");
        }
        if (next == null) {
            throw new SocketTimeoutException("Read timed out");
        }
        if (next == ABORTED) {
            inbound.add(ABORTED);
            throw new SocketException("Socket closed");
        }
        return next;
    }

    /** The server's close frame arrives. */
    void serverCloses(int code, String reason) {
        inbound.add(new Inbound.Closed(code, reason));
    }

    @Override
    public void sendBinary(byte[] message) throws IOException {
        writes.add(1);
        send(message);
    }

    private void send(byte[] message) throws IOException {
        boolean hold = holdSends && failSends == null && errorInSends == null;
        if (hold) {
            outstanding++;
        }
        try {
            senders.add(Thread.currentThread().getName());
            sent.add(Envelope.parseFrom(message));
        } catch (InvalidProtocolBufferException e) {
            throw new AssertionError(e);
        }
        if (failSends != null) {
            throw failSends;
        }
        if (errorInSends != null) {
            throw errorInSends;
        }
        if (hold) {
            try {
                released.acquire();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted");
            } finally {
                outstanding--;
            }
        }
    }

    /** Messages sent together in one call, in one entry; a single send counts as a write of one. */
    final List<Integer> writes = new CopyOnWriteArrayList<>();

    /** Records them as one write, then sends them one by one (a held send holds the first). */
    @Override
    public void sendBinary(List<byte[]> messages) throws IOException {
        writes.add(messages.size());
        for (byte[] message : messages) {
            send(message);
        }
    }

    /** Completes the send that is blocked. */
    void completeSend() {
        released.release();
    }

    int outstandingSends() {
        return outstanding;
    }

    @Override
    public void sendClose(int code, String reason) throws IOException {
        closeCode = code;
        closeReason = reason;
        if (failClose != null) {
            throw failClose;
        }
    }

    @Override
    public boolean writeStalled() {
        return false;
    }

    @Override
    public Duration writeTimeout() {
        return Duration.ofSeconds(10);
    }

    @Override
    public void abort() {
        aborted = true;
        inbound.add(ABORTED);
    }
}
