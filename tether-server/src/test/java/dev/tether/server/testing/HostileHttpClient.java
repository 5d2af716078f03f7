package dev.tether.server.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A hostile HTTP/1.1 client over a raw socket, for the server's request limits: it streams huge chunked bodies
 * from one small buffer (never holding them), declares bodies it never sends, and trickles request heads.
 * Each instance is one connection; not thread safe except {@link #bytesSent}.
 */
public final class HostileHttpClient implements AutoCloseable {

    private static final int CHUNK_BYTES = 64 * 1024;

    private final Socket socket;
    private final OutputStream out;
    private final InputStream in;
    private final AtomicLong sent = new AtomicLong();

    public HostileHttpClient(int port) throws IOException {
        this.socket = new Socket("127.0.0.1", port);
        socket.setSoTimeout((int) Duration.ofSeconds(20).toMillis());
        this.out = socket.getOutputStream();
        this.in = socket.getInputStream();
    }

    /** Sends a request head; {@code headers} are added to Host. */
    public void head(String method, String path, Map<String, String> headers) throws IOException {
        StringBuilder head = new StringBuilder(method + " " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\n");
        headers.forEach((name, value) -> head.append(name).append(": ").append(value).append("\r\n"));
        out.write(head.append("\r\n").toString().getBytes(StandardCharsets.US_ASCII));
        out.flush();
    }

    /**
     * Streams {@code total} bytes of chunked body (never the final chunk), 64 KiB at a time from one buffer,
     * until done or the server stops taking them.
     *
     * @return whether every byte was written (false: the server closed or reset the connection)
     */
    public boolean streamChunked(long total) {
        byte[] chunk = new byte[CHUNK_BYTES];
        Arrays.fill(chunk, (byte) 'x');
        byte[] size = (Integer.toHexString(CHUNK_BYTES) + "\r\n").getBytes(StandardCharsets.US_ASCII);
        byte[] crlf = "\r\n".getBytes(StandardCharsets.US_ASCII);
        try {
            while (sent.get() < total) {
                out.write(size);
                out.write(chunk);
                out.write(crlf);
                sent.addAndGet(CHUNK_BYTES);
            }
            out.flush();
            return true;
        } catch (IOException closedByServer) {
            return false;
        }
    }

    /** Body bytes written so far (may be read from another thread). */
    public long bytesSent() {
        return sent.get();
    }

    /** Writes raw bytes, such as one byte of a trickled head. */
    public void write(String text) throws IOException {
        out.write(text.getBytes(StandardCharsets.US_ASCII));
        out.flush();
    }

    /** The status code of the response, or -1 when the connection ended (or was reset) without one. */
    public int status() throws IOException {
        StringBuilder line = new StringBuilder();
        try {
            for (int b = in.read(); b >= 0 && b != '\n'; b = in.read()) {
                line.append((char) b);
            }
        } catch (SocketTimeoutException e) {
            throw e;
        } catch (IOException reset) {
            return -1;
        }
        String[] parts = line.toString().split(" ");
        return parts.length >= 2 && parts[0].startsWith("HTTP/") ? Integer.parseInt(parts[1]) : -1;
    }

    /** The rest of the response, up to the server closing the connection. */
    public String rest() throws IOException {
        try {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (SocketTimeoutException e) {
            throw e;
        } catch (IOException reset) {
            return "";
        }
    }

    /** Whether the server closed the connection: waits up to {@code wait} for the end of the stream. */
    public boolean closedWithin(Duration wait) throws IOException {
        socket.setSoTimeout((int) Math.max(1, wait.toMillis()));
        try {
            byte[] discard = new byte[4096];
            while (in.read(discard) >= 0) {
                // drain what the server sent before closing
            }
            return true;
        } catch (SocketTimeoutException stillOpen) {
            return false;
        } catch (IOException reset) {
            return true;
        }
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
