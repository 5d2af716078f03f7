package dev.tether.protocol;

import com.google.protobuf.CodedInputStream;
import com.google.protobuf.InvalidProtocolBufferException;
import dev.tether.protocol.v1.Envelope;
import dev.tether.protocol.v1.Envelope.PayloadCase;
import dev.tether.protocol.v1.Heartbeat;
import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * Turns WebSocket binary messages into checked {@link Envelope}s and back.
 *
 * <p>Decoding enforces everything that can be judged from one frame: size,
 * protobuf validity, the sender's payload range, and the seq rule (reliable
 * payloads carry seq &gt; 0, live ones seq = 0; seq and ack below 2^63). Ordering across frames is the
 * {@link ReliableChannel}'s job. Stateless and thread safe.
 */
public final class FrameCodec {

    private final Peer sender;
    private final int maxFrameBytes;

    private FrameCodec(Peer sender, int maxFrameBytes) {
        if (maxFrameBytes <= 0) {
            throw new IllegalArgumentException("maxFrameBytes must be positive, was " + maxFrameBytes);
        }
        this.sender = sender;
        this.maxFrameBytes = maxFrameBytes;
    }

    /** A codec for frames sent by {@code sender}, with the default frame limit. */
    public static FrameCodec receivingFrom(Peer sender) {
        return new FrameCodec(sender, Limits.MAX_FRAME_BYTES);
    }

    public static FrameCodec receivingFrom(Peer sender, int maxFrameBytes) {
        return new FrameCodec(sender, maxFrameBytes);
    }

    public static byte[] encode(Envelope envelope) {
        return envelope.toByteArray();
    }

    /** Decodes a binary frame. */
    public Decoded decode(byte[] frame) throws ProtocolException {
        checkSize(frame.length);
        return check(parse(CodedInputStream.newInstance(frame)));
    }

    public Decoded decode(ByteBuffer frame) throws ProtocolException {
        checkSize(frame.remaining());
        return check(parse(CodedInputStream.newInstance(frame)));
    }

    /**
     * A heartbeat envelope in the shape protobuf writes one (see {@link HeartbeatReader}), read without the
     * general parse, as {@link #decode(ByteBuffer)} would decode it; null for any other frame, including a
     * heartbeat this sender may not send or any frame {@code decode} refuses: decode those in full. The
     * frame's position is left as it was.
     */
    public HeartbeatFrame decodeHeartbeat(ByteBuffer frame) {
        if (!sender.maySend(Envelope.HEARTBEAT_FIELD_NUMBER) || frame.remaining() > maxFrameBytes) {
            return null;
        }
        return HeartbeatReader.read(frame);
    }

    /** A text frame is always an error: Tether frames are binary protobuf. */
    public static ProtocolException textFrame() {
        return new ProtocolException(CloseCodes.UNSUPPORTED_DATA,
                "text frames are not part of the protocol; send binary protobuf Envelopes");
    }

    private void checkSize(int length) throws ProtocolException {
        if (length > maxFrameBytes) {
            throw new ProtocolException(CloseCodes.MESSAGE_TOO_BIG,
                    "frame of " + length + " bytes exceeds the limit of " + maxFrameBytes);
        }
        if (length == 0) {
            throw new ProtocolException(CloseCodes.INVALID_PAYLOAD, "empty frame");
        }
    }

    private static Envelope parse(CodedInputStream in) throws ProtocolException {
        try {
            return Envelope.parseFrom(in);
        } catch (InvalidProtocolBufferException e) {
            throw new ProtocolException(CloseCodes.INVALID_PAYLOAD, "malformed envelope: " + e.getMessage(), e);
        } catch (IOException e) {
            // Only InvalidProtocolBufferException can come from an in-memory input.
            throw new ProtocolException(CloseCodes.INVALID_PAYLOAD, "unreadable envelope: " + e.getMessage(), e);
        }
    }

    private Decoded check(Envelope envelope) throws ProtocolException {
        // uint64 on the wire; a value of 2^63 or more is negative here, and no real seq gets there.
        if (envelope.getSeq() < 0 || envelope.getAck() < 0) {
            throw new ProtocolException(CloseCodes.PROTOCOL_ERROR, "seq or ack of 2^63 or more");
        }
        PayloadCase payload = envelope.getPayloadCase();
        if (payload == PayloadCase.PAYLOAD_NOT_SET) {
            return checkUnknown(envelope);
        }
        if (!sender.maySend(payload.getNumber())) {
            throw new ProtocolException(CloseCodes.PROTOCOL_ERROR,
                    sender.name().toLowerCase() + " may not send " + payload.name().toLowerCase());
        }
        boolean reliable = Payloads.isReliable(payload);
        if (reliable && envelope.getSeq() == 0) {
            throw new ProtocolException(CloseCodes.PROTOCOL_ERROR,
                    payload.name().toLowerCase() + " is reliable and needs a seq");
        }
        if (!reliable && envelope.getSeq() != 0) {
            throw new ProtocolException(CloseCodes.PROTOCOL_ERROR,
                    payload.name().toLowerCase() + " is live and must not carry a seq");
        }
        return new Decoded(envelope, false);
    }

    /**
     * No known payload: either a bare envelope, or a payload type from a newer
     * peer. The latter is accepted only from the sender's own range.
     */
    private Decoded checkUnknown(Envelope envelope) throws ProtocolException {
        for (int field : envelope.getUnknownFields().asMap().keySet()) {
            if (field >= 100 && !sender.maySend(field)) {
                throw new ProtocolException(CloseCodes.PROTOCOL_ERROR,
                        sender.name().toLowerCase() + " may not send payload " + field);
            }
        }
        boolean unknownPayload = !envelope.getUnknownFields().asMap().isEmpty();
        if (!unknownPayload && envelope.getSeq() != 0) {
            throw new ProtocolException(CloseCodes.PROTOCOL_ERROR, "an envelope with a seq needs a payload");
        }
        return new Decoded(envelope, unknownPayload);
    }

    /**
     * A checked envelope.
     *
     * @param unknownPayload the payload's type is newer than this build; ignore it
     *     (and, when {@code envelope.getSeq() > 0}, still apply it as a no-op so it is acknowledged)
     */
    public record Decoded(Envelope envelope, boolean unknownPayload) {
    }

    /**
     * A heartbeat envelope's fields: what {@link Decoded#envelope()} would hold for it (no seq, no
     * correlation id, no stamp, no unknown fields).
     */
    public record HeartbeatFrame(long ack, long tsMs, Heartbeat heartbeat) {

        /** The envelope the full decode gives for the same frame. */
        public Envelope envelope() {
            return Envelope.newBuilder().setAck(ack).setTsMs(tsMs).setHeartbeat(heartbeat).build();
        }
    }
}
