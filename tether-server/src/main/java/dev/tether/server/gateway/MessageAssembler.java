package dev.tether.server.gateway;

import dev.tether.protocol.CloseCodes;
import dev.tether.protocol.FrameCodec;
import dev.tether.protocol.ProtocolException;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.WebSocketFrame;

/**
 * Joins WebSocket frames into messages, enforcing the message size limit
 * across fragments (Netty enforces it per frame) and refusing text at the
 * first text frame. Control frames yield nothing.
 *
 * <p>Not thread safe: owned by the connection's event loop. Holds no buffer
 * between messages.
 */
final class MessageAssembler {

    private final int maxMessageBytes;
    /** The fragments of an unfinished binary message; null between messages. */
    private Buffer partial;

    MessageAssembler(int maxMessageBytes) {
        this.maxMessageBytes = maxMessageBytes;
    }

    /**
     * @return the complete message this frame ends, or null
     * @throws ProtocolException for a text frame or a message over the limit
     */
    Buffer accept(WebSocketFrame frame) throws ProtocolException {
        switch (frame.type()) {
            case TEXT:
                throw FrameCodec.textFrame();
            case BINARY:
                if (partial != null) {
                    throw new ProtocolException(CloseCodes.PROTOCOL_ERROR, "new message before the last one ended");
                }
                return frame.isFinal() ? checked(frame.binaryData()) : start(frame.binaryData());
            case CONTINUATION:
                if (partial == null) {
                    throw new ProtocolException(CloseCodes.PROTOCOL_ERROR, "continuation frame outside a message");
                }
                checked(partial.appendBuffer(frame.binaryData()));
                return frame.isFinal() ? finish() : null;
            default:
                return null;
        }
    }

    private Buffer start(Buffer first) throws ProtocolException {
        partial = Buffer.buffer(first.length() * 2).appendBuffer(checked(first));
        return null;
    }

    private Buffer finish() {
        Buffer message = partial;
        partial = null;
        return message;
    }

    private Buffer checked(Buffer message) throws ProtocolException {
        if (message.length() > maxMessageBytes) {
            partial = null;
            throw new ProtocolException(CloseCodes.MESSAGE_TOO_BIG,
                    "message of " + message.length() + " bytes or more exceeds the limit of " + maxMessageBytes);
        }
        return message;
    }
}
