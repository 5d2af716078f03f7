package dev.tether.agent.connection.websocket;

import dev.tether.protocol.WebSocketAccept;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;

/**
 * The opening handshake (RFC 6455 section 4.1): writes the upgrade request, reads the response head within
 * a deadline and at most {@link WebSocketProtocol#MAX_RESPONSE_HEAD_BYTES}, and checks it: status 101,
 * {@code Upgrade: websocket}, {@code Connection: Upgrade}, the {@code Sec-WebSocket-Accept} of this
 * request's key, and no extension or subprotocol (none was offered). Another status is an
 * {@link UpgradeRefused} with the headers; anything malformed (control bytes, a line without a colon, a
 * head that never ends) a {@link HandshakeException}. Bytes after the head stay in {@code in} for the frames.
 *
 * <p>Not thread safe: one per dial.
 */
final class Upgrade {

    private final Socket socket;
    private final InputStream in;
    private final long deadlineNanos;
    private int headBytes;

    private Upgrade(Socket socket, InputStream in, long deadlineNanos) {
        this.socket = socket;
        this.in = in;
        this.deadlineNanos = deadlineNanos;
    }

    /**
     * @param headers extra request headers (name to value), written in order
     * @param keySource draws the 16-byte {@code Sec-WebSocket-Key}
     */
    static void perform(Socket socket, InputStream in, OutputStream out, URI uri, Map<String, String> headers,
            Random keySource, long deadlineNanos) throws IOException {
        byte[] nonce = new byte[16];
        keySource.nextBytes(nonce);
        String key = Base64.getEncoder().encodeToString(nonce);
        out.write(request(uri, headers, key).getBytes(StandardCharsets.ISO_8859_1));
        out.flush();
        new Upgrade(socket, in, deadlineNanos).check(key);
    }

    private static String request(URI uri, Map<String, String> headers, String key) {
        String path = uri.getRawPath() == null || uri.getRawPath().isEmpty() ? "/" : uri.getRawPath();
        if (uri.getRawQuery() != null) {
            path += "?" + uri.getRawQuery();
        }
        StringBuilder request = new StringBuilder(256)
                .append("GET ").append(path).append(" HTTP/1.1\r\n")
                .append("Host: ").append(uri.getRawAuthority().replaceFirst("^.*@", "")).append("\r\n")
                .append("Upgrade: websocket\r\n")
                .append("Connection: Upgrade\r\n")
                .append("Sec-WebSocket-Key: ").append(key).append("\r\n")
                .append("Sec-WebSocket-Version: 13\r\n");
        headers.forEach((name, value) -> request.append(name).append(": ").append(value).append("\r\n"));
        return request.append("\r\n").toString();
    }

    private void check(String key) throws IOException {
        int status = status(line());
        Map<String, String> headers = new HashMap<>();
        for (String line = line(); !line.isEmpty(); line = line()) {
            int colon = line.indexOf(':');
            if (colon <= 0) {
                throw new HandshakeException("the server's upgrade response has a header line without a name: '"
                        + shown(line) + "'");
            }
            headers.merge(line.substring(0, colon).trim().toLowerCase(Locale.ROOT), line.substring(colon + 1).trim(),
                    (first, second) -> first + ", " + second);
        }
        if (status != 101) {
            throw new UpgradeRefused(status, headers);
        }
        require(headers, "upgrade", "websocket".equalsIgnoreCase(headers.get("upgrade")));
        require(headers, "connection", tokens(headers.get("connection")).contains("upgrade"));
        require(headers, "sec-websocket-accept", WebSocketAccept.of(key).equals(headers.get("sec-websocket-accept")));
        if (headers.containsKey("sec-websocket-extensions") || headers.containsKey("sec-websocket-protocol")) {
            throw new HandshakeException("the server accepted the upgrade with an extension or subprotocol this "
                    + "agent did not offer");
        }
    }

    private static void require(Map<String, String> headers, String name, boolean valid) throws HandshakeException {
        if (!valid) {
            String value = headers.get(name);
            throw new HandshakeException("the server's upgrade response has " + (value == null ? "no " + name
                    : "a wrong " + name + " '" + shown(value) + "'") + " (is --server a Tether server, or is a "
                    + "proxy between them that does not pass WebSockets?)");
        }
    }

    private static java.util.List<String> tokens(String value) {
        if (value == null) {
            return java.util.List.of();
        }
        return java.util.Arrays.stream(value.split(",")).map(t -> t.trim().toLowerCase(Locale.ROOT)).toList();
    }

    private static int status(String line) throws HandshakeException {
        String[] parts = line.split(" ", 3);
        if (parts.length < 2 || !parts[0].startsWith("HTTP/1.") || !parts[1].matches("[1-5][0-9][0-9]")) {
            throw new HandshakeException("the server did not answer the upgrade with HTTP: '" + shown(line) + "'");
        }
        return Integer.parseInt(parts[1]);
    }

    /** One line of the head, without its CRLF (a bare LF is taken too). */
    private String line() throws IOException {
        ByteArrayOutputStream line = new ByteArrayOutputStream(64);
        while (true) {
            int b = read();
            if (b == '\n') {
                return line.toString(StandardCharsets.ISO_8859_1);
            }
            if (b == '\r') {
                if (read() != '\n') {
                    throw new HandshakeException("the server's upgrade response has a CR without LF");
                }
                return line.toString(StandardCharsets.ISO_8859_1);
            }
            if (b < 0x20 && b != '\t' || b == 0x7F) {
                throw new HandshakeException(String.format(Locale.ROOT,
                        "the server's upgrade response holds the control byte 0x%02X", b));
            }
            line.write(b);
        }
    }

    private int read() throws IOException {
        if (++headBytes > WebSocketProtocol.MAX_RESPONSE_HEAD_BYTES) {
            throw new HandshakeException("the server's upgrade response head exceeds "
                    + WebSocketProtocol.MAX_RESPONSE_HEAD_BYTES + " bytes");
        }
        long left = deadlineNanos - System.nanoTime();
        if (left <= 0) {
            throw new SocketTimeoutException("no complete upgrade response in time");
        }
        socket.setSoTimeout((int) Math.max(1, TimeUnit.NANOSECONDS.toMillis(left)));
        int b = in.read();
        if (b < 0) {
            throw new HandshakeException("the server closed the connection before its upgrade response ended");
        }
        return b;
    }

    /** A value from the server, cut short and with only printable ASCII, fit for a log line. */
    private static String shown(String text) {
        String cut = text.length() > 60 ? text.substring(0, 60) + "..." : text;
        return cut.replaceAll("[^\\x20-\\x7E]", "?");
    }
}
