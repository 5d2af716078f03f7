package dev.tether.agent.control;

import dev.tether.agent.json.Json;
import dev.tether.agent.json.Json.Member;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.SocketException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/** Talks to a running agent's control socket, for {@code tether agent status} and {@code tether agent emit}. */
public final class ControlClient {

    /** The most an answer may hold: a status is a few KiB. */
    private static final int MAX_ANSWER_BYTES = 1024 * 1024;

    /** No agent answers on the state dir's socket: it is not running (or runs without its socket). */
    public static final class NotRunning extends Exception {
        NotRunning(String message) {
            super(message);
        }
    }

    /** This user may not talk to the agent: the state dir or the socket is not theirs. Nothing was sent. */
    public static final class Denied extends Exception {
        Denied(String message) {
            super(message);
        }
    }

    /** The agent answered with an error. */
    public static final class Refused extends Exception {
        Refused(String message) {
            super(message);
        }
    }

    private final Path socket;
    private final Duration timeout;

    public ControlClient(Path stateDir, Duration timeout) {
        this.socket = stateDir.resolve(ControlProtocol.SOCKET_FILE);
        this.timeout = timeout;
    }

    /** The running agent's status as JSON (see {@link StatusReport}). */
    public String status() throws NotRunning, Denied, Refused, IOException {
        Map<String, Member> answer = call(Json.object(Map.of("op", ControlProtocol.STATUS)), new byte[0]);
        Member status = answer.get("status");
        if (status == null || status.kind() != Member.Kind.OBJECT) {
            throw new IOException("the agent's answer holds no status");
        }
        return status.text();
    }

    /**
     * Publishes an event through the running agent's outbox. When this returns the event is on disk, and the
     * agent delivers it to the server exactly once.
     *
     * @throws Refused when the agent refused it (a bad type, malformed JSON, too large); it stored nothing
     */
    public void emit(String type, byte[] json) throws NotRunning, Denied, Refused, IOException {
        Map<String, Object> header = new LinkedHashMap<>();
        header.put("op", ControlProtocol.EMIT);
        header.put("type", type);
        header.put("length", (long) json.length);
        call(Json.object(header), json);
    }

    private Map<String, Member> call(String header, byte[] body) throws NotRunning, Denied, Refused, IOException {
        Path stateDir = socket.getParent();
        if (Files.isDirectory(stateDir) && !Files.isExecutable(stateDir)) {
            throw new Denied("cannot reach the agent in " + stateDir + ": permission denied; run this as the "
                    + "agent's user or as root (sudo -u tether tether-agent ...)");
        }
        if (!Files.exists(socket)) {
            throw new NotRunning("the agent is not running: there is no control socket " + socket);
        }
        FutureTask<String> exchange = new FutureTask<>(() -> exchange(header, body));
        Thread.ofVirtual().name("tether-control-client").start(exchange);
        String line;
        try {
            line = exchange.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            exchange.cancel(true);
            throw new IOException("the agent did not answer within " + timeout.toSeconds() + " s on " + socket);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while waiting for the agent");
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof NotRunning notRunning) {
                throw notRunning;
            }
            if (cause instanceof Denied denied) {
                throw denied;
            }
            if (cause instanceof IOException io) {
                throw io;
            }
            throw new IOException(String.valueOf(cause), cause);
        }
        Map<String, Member> answer;
        try {
            answer = Json.members(line);
        } catch (IllegalArgumentException e) {
            throw new IOException("the agent's answer is not JSON: " + e.getMessage());
        }
        Member ok = answer.get("ok");
        if (ok == null || !"true".equals(ok.text())) {
            Member error = answer.get("error");
            throw new Refused(error == null ? "the agent refused the request" : error.text());
        }
        return answer;
    }

    private String exchange(String header, byte[] body) throws IOException, NotRunning, Denied {
        try (SocketChannel channel = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            try {
                channel.connect(UnixDomainSocketAddress.of(socket));
            } catch (SocketException e) {
                String reason = String.valueOf(e.getMessage());
                if (reason.contains("ermission denied")) {
                    throw new Denied("cannot connect to " + socket + ": permission denied; run this as the "
                            + "agent's user or as root (sudo -u tether tether-agent ...)");
                }
                throw new NotRunning("the agent is not running: nothing answers on " + socket + " (" + reason + ")");
            }
            IOException writeFailure = null;
            try {
                writeFully(channel, ControlProtocol.line(header));
                writeFully(channel, body);
            } catch (IOException e) {
                // The agent may have refused the request before reading it all: its answer says why.
                writeFailure = e;
            }
            try {
                return readLine(channel);
            } catch (IOException e) {
                if (writeFailure != null) {
                    writeFailure.addSuppressed(e);
                    throw writeFailure;
                }
                throw e;
            }
        }
    }

    private static void writeFully(SocketChannel channel, byte[] bytes) throws IOException {
        ByteBuffer buffer = ByteBuffer.wrap(bytes);
        while (buffer.hasRemaining()) {
            channel.write(buffer);
        }
    }

    private static String readLine(SocketChannel channel) throws IOException {
        ByteArrayOutputStream answer = new ByteArrayOutputStream();
        ByteBuffer buffer = ByteBuffer.allocate(8192);
        while (channel.read(buffer) >= 0) {
            buffer.flip();
            while (buffer.hasRemaining()) {
                byte b = buffer.get();
                if (b == '\n') {
                    return answer.toString(StandardCharsets.UTF_8);
                }
                answer.write(b);
            }
            buffer.clear();
            if (answer.size() > MAX_ANSWER_BYTES) {
                throw new IOException("the agent's answer is larger than " + MAX_ANSWER_BYTES + " bytes");
            }
        }
        throw new IOException("the agent closed the connection without an answer");
    }
}
