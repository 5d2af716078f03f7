package dev.tether.server.hub;

import dev.tether.protocol.v1.Envelope;
import dev.tether.protocol.v1.Heartbeat;
import java.util.ArrayList;
import java.util.List;

/** A fake connection whose clock readings the test sets, recording how it was closed and woken. */
final class RecordingConnection implements LiveConnection {

    final String agentId;
    volatile long openedNanos;
    volatile boolean established = true;
    volatile long lastFrameNanos;
    volatile long lastSeenMillis;
    volatile long writeBlockedSinceNanos;
    volatile Heartbeat heartbeat;
    final List<String> closes = new ArrayList<>();
    int wakes;
    /** How often the hub's liveness rules looked at this connection (each look reads the write stall). */
    volatile int livenessChecks;
    final List<Envelope> sentLive = new ArrayList<>();

    RecordingConnection(String agentId, long nowNanos) {
        this.agentId = agentId;
        this.openedNanos = nowNanos;
        this.lastFrameNanos = nowNanos;
    }

    @Override
    public String agentId() {
        return agentId;
    }

    @Override
    public long epoch() {
        return 0;
    }

    @Override
    public long openedNanos() {
        return openedNanos;
    }

    @Override
    public boolean established() {
        return established;
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
        return 1;
    }

    @Override
    public Heartbeat lastHeartbeat() {
        return heartbeat;
    }

    @Override
    public long writeBlockedSinceNanos() {
        livenessChecks++;
        return writeBlockedSinceNanos;
    }

    /** Judged at once: a fake connection has no thread of its own that could hold a frame unread. */
    @Override
    public void closeIfSilentSince(long frameNanos, int code, String reason) {
        if (lastFrameNanos == frameNanos) {
            close(code, reason);
        }
    }

    @Override
    public synchronized void close(int code, String reason) {
        closes.add(code + " " + reason);
    }

    @Override
    public synchronized void wake() {
        wakes++;
    }

    synchronized List<String> closes() {
        return List.copyOf(closes);
    }

    @Override
    public long lastHeartbeatMillis() {
        return 0;
    }

    @Override
    public synchronized void sendLive(Envelope envelope) {
        sentLive.add(envelope);
    }
}
