package dev.tether.agent.connection;

import dev.tether.protocol.CloseCodes;
import dev.tether.protocol.ProtocolException;
import java.nio.ByteBuffer;
import java.util.Arrays;

/**
 * Joins the parts in which the JDK WebSocket client delivers one binary message,
 * refusing a message over the frame limit as soon as its parts exceed it (so a
 * huge message is never buffered). Holds no buffer between messages.
 *
 * <p>Not thread safe: the WebSocket listener's calls are sequential.
 */
public final class FrameAssembler {

    private final int maxBytes;
    /** Parts of the message so far; null between messages. */
    private byte[] buffer;
    private int size;

    public FrameAssembler(int maxBytes) {
        if (maxBytes <= 0) {
            throw new IllegalArgumentException("maxBytes must be positive, was " + maxBytes);
        }
        this.maxBytes = maxBytes;
    }

    /**
     * Adds a part.
     *
     * @return the whole message once {@code last} is true, else null
     * @throws ProtocolException ({@link CloseCodes#MESSAGE_TOO_BIG}) when the message grows over the limit;
     *     the parts so far are dropped
     */
    public byte[] append(ByteBuffer part, boolean last) throws ProtocolException {
        int length = part.remaining();
        if ((long) size + length > maxBytes) {
            long seen = (long) size + length;
            reset();
            throw new ProtocolException(CloseCodes.MESSAGE_TOO_BIG,
                    "frame of " + (last ? "" : "more than ") + seen + " bytes exceeds the limit of " + maxBytes);
        }
        if (last && size == 0) {
            byte[] whole = new byte[length];
            part.get(whole);
            return whole;
        }
        ensureRoom(length);
        part.get(buffer, size, length);
        size += length;
        if (!last) {
            return null;
        }
        byte[] whole = Arrays.copyOf(buffer, size);
        reset();
        return whole;
    }

    private void ensureRoom(int length) {
        int needed = size + length;
        if (buffer == null) {
            buffer = new byte[Math.min(maxBytes, Math.max(needed * 2, 4096))];
        } else if (buffer.length < needed) {
            buffer = Arrays.copyOf(buffer, (int) Math.min(maxBytes, Math.max((long) buffer.length * 2, needed)));
        }
    }

    private void reset() {
        buffer = null;
        size = 0;
    }
}
