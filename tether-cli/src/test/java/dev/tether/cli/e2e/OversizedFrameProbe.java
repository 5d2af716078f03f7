package dev.tether.cli.e2e;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;

/**
 * Speaks WebSocket by hand over a plain socket to announce a frame larger than
 * the server's limit, sending only its header and a few payload bytes.
 *
 * <p>A client that really writes a 2 MiB frame races the server: the server
 * closes as soon as it reads the frame header, and a TCP close with the rest
 * of the frame still unread becomes a reset that may destroy the close frame
 * before the client reads it. Announcing the size without sending it shows
 * the same decision (made on the header, before any payload is buffered)
 * without the race.
 */
final class OversizedFrameProbe {

    private OversizedFrameProbe() {
    }

    /** @return the close code the server answers an announced frame of {@code length} bytes with */
    static int closeCodeFor(URI server, String key, long length, Duration timeout) throws IOException {
        try (Socket socket = new Socket(server.getHost(), server.getPort())) {
            socket.setSoTimeout((int) timeout.toMillis());
            OutputStream out = socket.getOutputStream();
            DataInputStream in = new DataInputStream(socket.getInputStream());
            out.write(upgradeRequest(server, key).getBytes(StandardCharsets.US_ASCII));
            String status = readHeaders(in);
            if (!status.contains(" 101 ")) {
                throw new IOException("upgrade refused: " + status);
            }
            out.write(binaryFrameHeader(length));
            out.write(new byte[16]);
            out.flush();
            return readCloseCode(in);
        }
    }

    private static String upgradeRequest(URI server, String key) {
        String nonce = Base64.getEncoder().encodeToString("tether-e2e-nonce".getBytes(StandardCharsets.US_ASCII));
        return "GET /v1/agents/connect HTTP/1.1\r\n"
                + "Host: " + server.getAuthority() + "\r\n"
                + "Upgrade: websocket\r\nConnection: Upgrade\r\n"
                + "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: " + nonce + "\r\n"
                + "Authorization: Bearer " + key + "\r\n\r\n";
    }

    private static String readHeaders(DataInputStream in) throws IOException {
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        int matched = 0;
        while (matched < 4) {
            int b = in.read();
            if (b < 0) {
                throw new IOException("connection closed during the upgrade");
            }
            head.write(b);
            matched = (b == (matched % 2 == 0 ? '\r' : '\n')) ? matched + 1 : (b == '\r' ? 1 : 0);
        }
        return head.toString(StandardCharsets.US_ASCII).lines().findFirst().orElse("");
    }

    /** FIN + binary opcode, masked, 64-bit length, zero mask key. */
    private static byte[] binaryFrameHeader(long length) {
        byte[] header = new byte[2 + 8 + 4];
        header[0] = (byte) 0x82;
        header[1] = (byte) (0x80 | 127);
        for (int i = 0; i < 8; i++) {
            header[2 + i] = (byte) (length >>> (56 - 8 * i));
        }
        return header;
    }

    /** Skips frames until a close frame and returns its code (1005 when it carries none). */
    private static int readCloseCode(DataInputStream in) throws IOException {
        while (true) {
            int opcode = in.readUnsignedByte() & 0x0f;
            int len = in.readUnsignedByte() & 0x7f;
            long payload = len == 126 ? in.readUnsignedShort() : len == 127 ? in.readLong() : len;
            byte[] body = in.readNBytes((int) payload);
            if (opcode == 0x8) {
                return body.length >= 2 ? ((body[0] & 0xff) << 8) | (body[1] & 0xff) : 1005;
            }
        }
    }
}
