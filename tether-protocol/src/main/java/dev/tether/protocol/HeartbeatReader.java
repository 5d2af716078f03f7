package dev.tether.protocol;

import dev.tether.protocol.v1.Envelope;
import dev.tether.protocol.v1.Heartbeat;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Reads an envelope carrying a heartbeat without protobuf's general parse, for the one message a dense node
 * takes in tens of thousands of times a second. It reads only the shape protobuf's encoders write for a
 * heartbeat, and answers null for anything else, which the caller then decodes in full; so it never decides
 * differently from {@link FrameCodec#decode}, only sooner (a property test and a fuzz test hold it to that).
 *
 * <p>The shape, in wire order, each field at most once and in increasing field order:
 * <ul>
 *   <li>{@code ack} (envelope field 2, varint), optional, below 2^63;
 *   <li>{@code ts_ms} (field 3, varint), optional;
 *   <li>{@code heartbeat} (field 101, length-delimited), its length exactly what is left of the frame, holding
 *       any of its fields 1 ({@code cpu_percent}, fixed64) to 9 (varints; {@code shell_sessions}, a uint32, is
 *       the varint's low 32 bits as protobuf reads it), each at most once, in increasing order.
 * </ul>
 * A seq, a correlation id, a stamp, an unknown field, a field twice or out of order, a wrong wire type, a
 * varint of 10 bytes (a value of 2^63 or more, or a longer encoding than needed of one), or bytes after the
 * heartbeat: null. Varints of up to 9 bytes are read as protobuf reads them, 7 bits a byte, low bits first;
 * the 10th byte, where protobuf's readers drop bits past the 64th, is left to protobuf.
 *
 * <p>Stateless; thread safe.
 */
final class HeartbeatReader {

    private static final int ACK_TAG = 2 << 3;
    private static final int TS_MS_TAG = 3 << 3;
    /** Field 101, wire type 2: 810 as a varint, two bytes. */
    private static final int HEARTBEAT_TAG = Envelope.HEARTBEAT_FIELD_NUMBER << 3 | 2;
    private static final int WIRE_VARINT = 0;
    private static final int WIRE_FIXED64 = 1;
    /** Up to 63 bits: a longer varint is left to protobuf. */
    private static final int MAX_VARINT_BYTES = 9;
    /** Returned by {@link #varint} for a malformed varint; a read position is never negative. */
    private static final long MALFORMED = Long.MIN_VALUE;

    private HeartbeatReader() {
    }

    /** The heartbeat envelope in {@code frame} (position to limit, left unmoved), or null when it is not one. */
    static FrameCodec.HeartbeatFrame read(ByteBuffer frame) {
        Cursor in = new Cursor(frame);
        long ack = 0;
        long tsMs = 0;
        long tag = in.varint();
        if (tag == ACK_TAG) {
            ack = in.varint();
            if (ack < 0) {
                // Malformed, or 2^63 or more, which the full decode refuses with its own message.
                return null;
            }
            tag = in.varint();
        }
        if (tag == TS_MS_TAG) {
            tsMs = in.varint();
            if (in.failed) {
                return null;
            }
            tag = in.varint();
        }
        if (tag != HEARTBEAT_TAG) {
            return null;
        }
        long length = in.varint();
        if (in.failed || length != in.remaining()) {
            return null;
        }
        Heartbeat heartbeat = heartbeat(in);
        return heartbeat == null ? null : new FrameCodec.HeartbeatFrame(ack, tsMs, heartbeat);
    }

    private static Heartbeat heartbeat(Cursor in) {
        Heartbeat.Builder beat = Heartbeat.newBuilder();
        int lastField = 0;
        while (in.remaining() > 0) {
            long tag = in.varint();
            int field = (int) (tag >>> 3);
            if (in.failed || tag > Integer.MAX_VALUE || field <= lastField
                    || field > Heartbeat.SHELL_BUFFERED_PEAK_BYTES_FIELD_NUMBER) {
                return null;
            }
            int wireType = (int) tag & 7;
            if (field == Heartbeat.CPU_PERCENT_FIELD_NUMBER) {
                if (wireType != WIRE_FIXED64 || in.remaining() < Long.BYTES) {
                    return null;
                }
                beat.setCpuPercent(Double.longBitsToDouble(in.fixed64()));
            } else {
                long value = in.varint();
                if (wireType != WIRE_VARINT || in.failed) {
                    return null;
                }
                set(beat, field, value);
            }
            lastField = field;
        }
        return beat.build();
    }

    private static void set(Heartbeat.Builder beat, int field, long value) {
        switch (field) {
            case Heartbeat.MEM_USED_BYTES_FIELD_NUMBER -> beat.setMemUsedBytes(value);
            case Heartbeat.MEM_TOTAL_BYTES_FIELD_NUMBER -> beat.setMemTotalBytes(value);
            case Heartbeat.DISK_USED_BYTES_FIELD_NUMBER -> beat.setDiskUsedBytes(value);
            case Heartbeat.DISK_TOTAL_BYTES_FIELD_NUMBER -> beat.setDiskTotalBytes(value);
            case Heartbeat.OUTBOX_DEPTH_FIELD_NUMBER -> beat.setOutboxDepth(value);
            case Heartbeat.UPTIME_S_FIELD_NUMBER -> beat.setUptimeS(value);
            case Heartbeat.SHELL_SESSIONS_FIELD_NUMBER -> beat.setShellSessions((int) value);
            case Heartbeat.SHELL_BUFFERED_PEAK_BYTES_FIELD_NUMBER -> beat.setShellBufferedPeakBytes(value);
            default -> throw new IllegalStateException("heartbeat field " + field + " has no setter here");
        }
    }

    /** Absolute reads over the frame; {@link #failed} once a read ran past the end or a varint was malformed. */
    private static final class Cursor {

        private final ByteBuffer frame;
        private int position;
        boolean failed;

        Cursor(ByteBuffer frame) {
            this.frame = frame;
            this.position = frame.position();
        }

        int remaining() {
            return frame.limit() - position;
        }

        /** The next varint of at most 9 bytes; {@link #MALFORMED}, and failed, when it is not one. */
        long varint() {
            long value = 0;
            for (int i = 0; i < MAX_VARINT_BYTES; i++) {
                if (position >= frame.limit()) {
                    failed = true;
                    return MALFORMED;
                }
                byte b = frame.get(position++);
                value |= (long) (b & 0x7F) << (7 * i);
                if (b >= 0) {
                    return value;
                }
            }
            failed = true;
            return MALFORMED;
        }

        /** The next 8 bytes, little-endian as protobuf's fixed64. */
        long fixed64() {
            long value = frame.getLong(position);
            position += Long.BYTES;
            return frame.order() == ByteOrder.LITTLE_ENDIAN ? value : Long.reverseBytes(value);
        }
    }
}
