package dev.tether.agent.connection;

import com.google.protobuf.InvalidProtocolBufferException;
import dev.tether.protocol.v1.Envelope;
import java.io.IOException;
import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A {@link WebSocket} that records what is sent. With {@link #holdSends} each
 * send stays outstanding until {@link #completeSend()}, like a slow network;
 * with {@link #failSends} or {@link #failClose} sends fail, like a cut link.
 */
final class RecordingWebSocket implements WebSocket {

    final List<Envelope> sent = new CopyOnWriteArrayList<>();
    private final List<CompletableFuture<WebSocket>> outstanding = new CopyOnWriteArrayList<>();
    volatile boolean holdSends;
    volatile int closeCode = -1;
    volatile String closeReason;
    /** When set, every binary send fails with it. */
    volatile IOException failSends;
    /** When set, the close frame fails with it. */
    volatile IOException failClose;
    volatile boolean aborted;

    @Override
    public CompletableFuture<WebSocket> sendBinary(ByteBuffer data, boolean last) {
        byte[] bytes = new byte[data.remaining()];
        data.get(bytes);
        try {
            sent.add(Envelope.parseFrom(bytes));
        } catch (InvalidProtocolBufferException e) {
            throw new AssertionError(e);
        }
        CompletableFuture<WebSocket> future = new CompletableFuture<>();
        if (failSends != null) {
            future.completeExceptionally(failSends);
        } else if (holdSends) {
            outstanding.add(future);
        } else {
            future.complete(this);
        }
        return future;
    }

    /** Completes the oldest outstanding send. */
    void completeSend() {
        outstanding.remove(0).complete(this);
    }

    int outstandingSends() {
        return outstanding.size();
    }

    @Override
    public CompletableFuture<WebSocket> sendText(CharSequence data, boolean last) {
        throw new AssertionError("the agent never sends text");
    }

    @Override
    public CompletableFuture<WebSocket> sendPing(ByteBuffer message) {
        return CompletableFuture.completedFuture(this);
    }

    @Override
    public CompletableFuture<WebSocket> sendPong(ByteBuffer message) {
        return CompletableFuture.completedFuture(this);
    }

    @Override
    public CompletableFuture<WebSocket> sendClose(int statusCode, String reason) {
        closeCode = statusCode;
        closeReason = reason;
        return failClose != null ? CompletableFuture.failedFuture(failClose) : CompletableFuture.completedFuture(this);
    }

    @Override
    public void request(long n) {
    }

    @Override
    public String getSubprotocol() {
        return "";
    }

    @Override
    public boolean isOutputClosed() {
        return closeCode >= 0;
    }

    @Override
    public boolean isInputClosed() {
        return false;
    }

    @Override
    public void abort() {
        aborted = true;
    }

}
