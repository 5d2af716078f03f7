package dev.tether.server.gateway;

import dev.tether.protocol.CloseCodes;
import dev.tether.protocol.FrameCodec;
import dev.tether.protocol.ProtocolException;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.ContinuationWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;

/**
 * Joins WebSocket frames into messages, enforcing the message size limit
 * across fragments (Netty enforces it per frame) and refusing text at the
 * first text frame. Control frames yield nothing.
 *
 * <p>A message of one frame is that frame's buffer, not copied; fragments are
 * copied into one heap buffer as they come.
 *
 * <p>Not thread safe: owned by the connection's event loop. Holds no buffer
 * between messages; {@link #discard} drops an unfinished one when the
 * connection ends.
 */
final class MessageAssembler {

    private final int maxMessageBytes;
    /** The fragments of an unfinished binary message; null between messages. */
    private ByteBuf partial;

    MessageAssembler(int maxMessageBytes) {
        this.maxMessageBytes = maxMessageBytes;
    }

    /**
     * Takes one frame; the frame stays the caller's to release.
     *
     * @return the complete message this frame ends, which the caller must release, or null
     * @throws ProtocolException for a text frame or a message over the limit
     */
    ByteBuf accept(WebSocketFrame frame) throws ProtocolException {
        if (frame instanceof TextWebSocketFrame) {
            discard();
            throw FrameCodec.textFrame();
        }
        if (frame instanceof BinaryWebSocketFrame) {
            if (partial != null) {
                discard();
                throw new ProtocolException(CloseCodes.PROTOCOL_ERROR, "new message before the last one ended");
            }
            int length = checked(frame.content().readableBytes());
            if (frame.isFinalFragment()) {
                return frame.content().retain();
            }
            partial = Unpooled.buffer(2 * length).writeBytes(frame.content());
            return null;
        }
        if (frame instanceof ContinuationWebSocketFrame) {
            if (partial == null) {
                throw new ProtocolException(CloseCodes.PROTOCOL_ERROR, "continuation frame outside a message");
            }
            checked(partial.readableBytes() + frame.content().readableBytes());
            partial.writeBytes(frame.content());
            return frame.isFinalFragment() ? finish() : null;
        }
        return null;
    }

    /** Drops an unfinished message; idempotent. */
    void discard() {
        if (partial != null) {
            partial.release();
            partial = null;
        }
    }

    private ByteBuf finish() {
        ByteBuf message = partial;
        partial = null;
        return message;
    }

    private int checked(long length) throws ProtocolException {
        if (length > maxMessageBytes) {
            discard();
            throw new ProtocolException(CloseCodes.MESSAGE_TOO_BIG,
                    "message of " + length + " bytes or more exceeds the limit of " + maxMessageBytes);
        }
        return (int) length;
    }
}
