package dev.tether.agent.connection;

import com.google.protobuf.ByteString;
import dev.tether.protocol.v1.Envelope;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;

/** A {@link ShellTraffic} that hands the writer the frames a test queues, and records what was written. */
final class QueuedShellTraffic implements ShellTraffic {

    final ConcurrentLinkedQueue<Envelope> frames = new ConcurrentLinkedQueue<>();
    final List<Envelope> written = new CopyOnWriteArrayList<>();

    @Override
    public void connected(Runnable wake, Runnable writeOrWake) {
    }

    @Override
    public void receive(Envelope envelope) {
    }

    @Override
    public Envelope nextFrame() {
        return frames.poll();
    }

    @Override
    public void written(Envelope frame) {
        written.add(frame);
    }

    @Override
    public boolean hasFrames() {
        return !frames.isEmpty();
    }

    @Override
    public void disconnected() {
    }

    @Override
    public List<ByteString> sessionIds() {
        return List.of();
    }

    @Override
    public int sessionCount() {
        return 0;
    }

    @Override
    public long takeBufferedPeak() {
        return 0;
    }
}
