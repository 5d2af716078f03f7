package dev.tether.agent.connection.websocket;

import static dev.tether.agent.connection.websocket.WebSocketProtocol.FIN;
import static dev.tether.agent.connection.websocket.WebSocketProtocol.LENGTH_16;
import static dev.tether.agent.connection.websocket.WebSocketProtocol.LENGTH_64;
import static dev.tether.agent.connection.websocket.WebSocketProtocol.MASKED;

import java.io.IOException;
import java.io.OutputStream;
import java.security.SecureRandom;
import java.util.List;

/**
 * Writes the client's frames (RFC 6455 section 5): always final, always masked. Each frame is built whole
 * (header, masking key, masked payload) and handed to the socket in one write, so a small frame is one
 * system call and one TCP segment; several frames can go in one write too, each with its own key.
 *
 * <p>The masking key of each frame comes from a {@link SecureRandom}, as RFC 6455 10.3 asks: a key an
 * observer can predict would let data a program on the host controls (a job's output, a shell's) reach the
 * wire as chosen bytes, which is what masking exists to prevent for intermediaries that misread WebSocket
 * traffic as HTTP. The agent already uses a {@code SecureRandom} for its boot id, so this costs no classes.
 *
 * <p>Not thread safe: {@link RealWebSocket} serialises sends.
 */
final class FrameWriter {

    private final OutputStream out;
    private final SecureRandom masks;

    FrameWriter(OutputStream out, SecureRandom masks) {
        this.out = out;
        this.masks = masks;
    }

    void write(int opcode, byte[] payload) throws IOException {
        byte[] frame = new byte[frameLength(payload.length)];
        put(opcode, payload, frame, 0);
        out.write(frame);
        out.flush();
    }

    /** One frame per payload, all of them handed to the socket in one write. */
    void write(int opcode, List<byte[]> payloads) throws IOException {
        int total = 0;
        for (byte[] payload : payloads) {
            total = Math.addExact(total, frameLength(payload.length));
        }
        byte[] frames = new byte[total];
        int at = 0;
        for (byte[] payload : payloads) {
            at = put(opcode, payload, frames, at);
        }
        out.write(frames);
        out.flush();
    }

    private static int frameLength(int payloadLength) {
        return 2 + lengthBytes(payloadLength) + 4 + payloadLength;
    }

    private static int lengthBytes(int length) {
        return length < LENGTH_16 ? 0 : length <= 0xFFFF ? 2 : 8;
    }

    /** Writes the frame of {@code payload} into {@code frame} at {@code at}; returns where it ends. */
    private int put(int opcode, byte[] payload, byte[] frame, int at) {
        int length = payload.length;
        int lengthBytes = lengthBytes(length);
        int start = at + 2 + lengthBytes + 4;
        frame[at] = (byte) (FIN | opcode);
        if (lengthBytes == 0) {
            frame[at + 1] = (byte) (MASKED | length);
        } else if (lengthBytes == 2) {
            frame[at + 1] = (byte) (MASKED | LENGTH_16);
            frame[at + 2] = (byte) (length >>> 8);
            frame[at + 3] = (byte) length;
        } else {
            frame[at + 1] = (byte) (MASKED | LENGTH_64);
            for (int i = 0; i < 8; i++) {
                frame[at + 2 + i] = (byte) ((long) length >>> (56 - 8 * i));
            }
        }
        int mask = masks.nextInt();
        byte[] key = {(byte) (mask >>> 24), (byte) (mask >>> 16), (byte) (mask >>> 8), (byte) mask};
        System.arraycopy(key, 0, frame, start - 4, 4);
        for (int i = 0; i < length; i++) {
            frame[start + i] = (byte) (payload[i] ^ key[i & 3]);
        }
        return start + length;
    }
}
