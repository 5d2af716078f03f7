package dev.tether.protocol;

import com.google.protobuf.ByteString;
import dev.tether.protocol.v1.Ack;
import dev.tether.protocol.v1.AgentEvent;
import dev.tether.protocol.v1.CommandRequest;
import dev.tether.protocol.v1.Envelope;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;

/**
 * One end of a simulated tether for property tests. The outbox, the applied seq
 * and the log of applied payloads are its "disk": they survive {@link #crash()}.
 * The {@link ReliableChannel} is its memory: a crash throws it away.
 */
final class SimulatedEnd {

    private final Peer peer;
    private final int window;
    private final FrameCodec codec;

    // Durable state: the outbox as reopened after each crash.
    private final Supplier<Outbox> reopen;
    private Outbox outbox;
    private long appliedSeq;
    private final List<String> appliedLog = new ArrayList<>();

    private final List<String> published = new ArrayList<>();
    private ReliableChannel channel;
    /** What happened, for the property's statistics. */
    private int crashesWithPending;
    private long highestSent;
    private int resent;

    SimulatedEnd(Peer peer, int window) {
        this(peer, window, singleInstance(new MemoryOutbox()));
    }

    /**
     * @param reopen opens this end's outbox from its disk: an empty one at first (in memory, or a real store),
     *     the same one again after each crash
     */
    SimulatedEnd(Peer peer, int window, Supplier<Outbox> reopen) {
        this.peer = peer;
        this.window = window;
        this.reopen = reopen;
        this.outbox = reopen.get();
        this.codec = FrameCodec.receivingFrom(peer.other());
        channel = ReliableChannel.create(outbox, appliedSeq, window);
    }

    /** Loses everything in memory; keeps the disk. */
    void crash() {
        if (outbox.firstPendingSeq() <= outbox.lastSeq()) {
            crashesWithPending++;
        }
        outbox = reopen.get();
        channel = ReliableChannel.create(outbox, appliedSeq, window);
    }

    void publish(int count) {
        List<Envelope> envelopes = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            String id = peer.name().charAt(0) + "-" + published.size();
            published.add(id);
            envelopes.add(payload(id));
        }
        channel.publish(envelopes);
    }

    long applied() {
        return channel.applied();
    }

    long resumeSeq() {
        return channel.resumeSeq();
    }

    void resume(long peerApplied, long peerResumeSeq) throws ProtocolException {
        channel.resume(peerApplied, peerResumeSeq);
    }

    void disconnect() {
        channel.end();
    }

    /** Frames this end puts on the wire now: stored payloads within the window, else a bare ack if one is due. */
    List<byte[]> pump(int max) {
        List<byte[]> frames = new ArrayList<>();
        for (Envelope envelope : channel.nextBatch(max)) {
            if (envelope.getSeq() <= highestSent) {
                resent++;
            }
            highestSent = Math.max(highestSent, envelope.getSeq());
            frames.add(FrameCodec.encode(envelope.toBuilder().setAck(channel.takeAck()).build()));
        }
        if (frames.isEmpty() && channel.ackDue()) {
            frames.add(FrameCodec.encode(Envelope.newBuilder()
                    .setAck(channel.takeAck()).setAckOnly(Ack.getDefaultInstance()).build()));
        }
        return frames;
    }

    /** Receives one frame; applying and recording the seq is one atomic step, as in a DB transaction. */
    void receive(byte[] frame) throws ProtocolException {
        Envelope envelope = codec.decode(frame).envelope();
        channel.onAck(envelope.getAck());
        if (envelope.getSeq() == 0) {
            return;
        }
        if (channel.receive(envelope.getSeq()) == Receipt.APPLY) {
            appliedLog.add(idOf(envelope));
            appliedSeq = envelope.getSeq();
            channel.markApplied(appliedSeq);
        }
    }

    /** A "disk" that is the outbox object itself (an in-memory outbox survives a simulated crash). */
    static Supplier<Outbox> singleInstance(Outbox outbox) {
        return () -> outbox;
    }

    int crashesWithPending() {
        return crashesWithPending;
    }

    int resent() {
        return resent;
    }

    List<String> published() {
        return published;
    }

    List<String> appliedLog() {
        return appliedLog;
    }

    private Envelope payload(String id) {
        if (peer == Peer.AGENT) {
            return Envelope.newBuilder().setAgentEvent(AgentEvent.newBuilder()
                    .setType("test").setPayloadJson(ByteString.copyFromUtf8(id))).build();
        }
        return Envelope.newBuilder().setCommand(CommandRequest.newBuilder().setJobId(id)).build();
    }

    private static String idOf(Envelope envelope) {
        return switch (envelope.getPayloadCase()) {
            case AGENT_EVENT -> envelope.getAgentEvent().getPayloadJson().toStringUtf8();
            case COMMAND -> envelope.getCommand().getJobId();
            default -> throw new AssertionError("unexpected payload " + envelope.getPayloadCase());
        };
    }
}
