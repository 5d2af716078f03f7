package dev.tether.agent.control;

import dev.tether.agent.json.Json;
import dev.tether.agent.json.Json.Member;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import jdk.net.ExtendedSocketOptions;
import jdk.net.UnixDomainPrincipal;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Serves {@link ControlProtocol} on {@code agent.sock} in the state dir, one request at a time on one thread,
 * {@code tether-control}. The socket is mode 0600 in the 0700 state dir, and a peer whose user is neither the
 * agent's nor root is refused as well (its credentials, from the kernel). Each request must arrive whole
 * within 5 s: a client that stalls or streams forever holds the thread for 5 s at most.
 */
public final class ControlSocket implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(ControlSocket.class);

    /** What the requests do: the running agent. */
    public interface Handler {
        /** The status, as {@link StatusReport} builds it. */
        Map<String, Object> status();

        /**
         * Publishes an event through the outbox; it is on disk when this returns.
         *
         * @throws IllegalArgumentException when the type or the JSON is not valid
         */
        void emit(String type, String json);
    }

    private final Path path;
    private final ServerSocketChannel server;
    private final Handler handler;
    private final String owner = System.getProperty("user.name");
    private final Thread thread;
    private volatile boolean closed;

    private ControlSocket(Path path, ServerSocketChannel server, Handler handler) {
        this.path = path;
        this.server = server;
        this.handler = handler;
        this.thread = new Thread(this::serve, "tether-control");
        this.thread.setDaemon(true);
    }

    /**
     * Binds {@code agent.sock} in {@code stateDir} (replacing one a dead agent left: the caller holds the state
     * dir's lock) and serves it. Null when it cannot be bound: the agent runs on without it, and
     * {@code tether agent status} reads the state database instead.
     */
    public static ControlSocket open(Path stateDir, Handler handler) {
        Path path = stateDir.resolve(ControlProtocol.SOCKET_FILE);
        ServerSocketChannel server = null;
        try {
            Files.deleteIfExists(path);
            server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
            server.bind(UnixDomainSocketAddress.of(path));
            Files.setPosixFilePermissions(path, PosixFilePermissions.fromString("rw-------"));
        } catch (IOException | RuntimeException e) {
            log.warn("no control socket at {} ({}): tether agent status reads the state database instead, and "
                    + "tether agent emit is not available", path, e.getMessage());
            closeQuietly(server);
            return null;
        }
        ControlSocket socket = new ControlSocket(path, server, handler);
        socket.thread.start();
        return socket;
    }

    private void serve() {
        while (!closed) {
            try (SocketChannel client = server.accept()) {
                handle(client);
            } catch (ClosedChannelException e) {
                break;
            } catch (IOException e) {
                log.debug("a control request failed: {}", e.toString());
            } catch (RuntimeException e) {
                log.warn("a control request failed", e);
            }
        }
    }

    private void handle(SocketChannel client) throws IOException {
        String refusal = refusal(client);
        if (refusal != null) {
            log.warn("refused a control connection: {}", refusal);
            client.write(ByteBuffer.wrap(ControlProtocol.line(error(refusal))));
            return;
        }
        client.configureBlocking(false);
        try (Selector selector = Selector.open()) {
            Exchange exchange = new Exchange(client, selector,
                    System.nanoTime() + ControlProtocol.REQUEST_TIMEOUT.toNanos());
            String answer;
            try {
                answer = answer(exchange);
            } catch (Refused e) {
                answer = error(e.getMessage());
            } catch (RuntimeException | Error e) {
                // The socket goes on serving: one failed request must not leave the operator without status.
                log.error("a control request failed", e);
                answer = error("the agent failed to answer: " + e);
            }
            exchange.write(ControlProtocol.line(answer));
        }
    }

    /** Why this peer may not talk to the agent, or null: the file mode already keeps others out. */
    private String refusal(SocketChannel client) {
        try {
            UnixDomainPrincipal peer = client.getOption(ExtendedSocketOptions.SO_PEERCRED);
            String user = peer.user().getName();
            if (user.equals(owner) || user.equals("root") || user.equals("0")) {
                return null;
            }
            return "user " + user + " may not use this agent's control socket: run as "
                    + (owner.equals("root") ? "root" : owner + " or root");
        } catch (IOException | UnsupportedOperationException e) {
            return null;
        }
    }

    private String answer(Exchange exchange) throws IOException {
        Map<String, Member> header = header(exchange.readLine(ControlProtocol.MAX_HEADER_BYTES));
        String op = text(header, "op");
        if (ControlProtocol.STATUS.equals(op)) {
            Map<String, Object> reply = new LinkedHashMap<>();
            reply.put("ok", true);
            reply.put("status", handler.status());
            return Json.object(reply);
        }
        if (ControlProtocol.EMIT.equals(op)) {
            return emit(exchange, header);
        }
        throw new Refused("unknown request '" + op + "': this agent answers status and emit; are the agent "
                + "and this program of the same version?");
    }

    private String emit(Exchange exchange, Map<String, Member> header) throws IOException {
        String type = text(header, "type");
        Member lengthMember = header.get("length");
        long length;
        try {
            length = lengthMember == null ? -1 : Long.parseLong(lengthMember.text());
        } catch (NumberFormatException e) {
            length = -1;
        }
        if (type == null || length < 0) {
            throw new Refused("an emit request needs a type and a length");
        }
        if (length > ControlProtocol.MAX_BODY_BYTES) {
            throw new Refused("the event's JSON is " + length + " bytes; the limit is " + ControlProtocol.MAX_BODY_BYTES);
        }
        String json = StandardCharsets.UTF_8.decode(ByteBuffer.wrap(exchange.read((int) length))).toString();
        try {
            handler.emit(type, json);
        } catch (IllegalArgumentException e) {
            throw new Refused(e.getMessage());
        } catch (IllegalStateException e) {
            throw new Refused("the agent is stopping: " + e.getMessage());
        }
        return Json.object(Map.of("ok", true));
    }

    private static Map<String, Member> header(String line) {
        try {
            return Json.members(line);
        } catch (IllegalArgumentException e) {
            throw new Refused("the request's header is not a JSON object: " + e.getMessage());
        }
    }

    private static String text(Map<String, Member> header, String name) {
        Member member = header.get(name);
        return member == null || member.kind() != Member.Kind.STRING ? null : member.text();
    }

    private static String error(String message) {
        return Json.object(Map.of("ok", false, "error", message));
    }

    /** A request refused with a message for the client. */
    private static final class Refused extends RuntimeException {
        Refused(String message) {
            super(message, null, false, false);
        }
    }

    /** One client's request and answer, against one deadline. */
    private static final class Exchange {

        private final SocketChannel client;
        private final Selector selector;
        private final long deadline;
        /** Bytes read past the header: the start of the body. */
        private ByteBuffer pending;

        Exchange(SocketChannel client, Selector selector, long deadline) {
            this.client = client;
            this.selector = selector;
            this.deadline = deadline;
        }

        String readLine(int max) throws IOException {
            ByteBuffer buffer = ByteBuffer.allocate(max + 1);
            while (true) {
                for (int i = 0; i < buffer.position(); i++) {
                    if (buffer.get(i) == '\n') {
                        byte[] line = new byte[i];
                        buffer.get(0, line);
                        // Whatever follows the line is the body: keep it for read().
                        pending = ByteBuffer.wrap(buffer.array(), i + 1, buffer.position() - i - 1).slice();
                        return new String(line, StandardCharsets.UTF_8);
                    }
                }
                if (!buffer.hasRemaining()) {
                    throw new Refused("the request's header is longer than " + max + " bytes");
                }
                fill(buffer);
            }
        }

        byte[] read(int length) throws IOException {
            ByteBuffer body = ByteBuffer.allocate(length);
            ByteBuffer early = pending;
            if (early != null) {
                if (early.remaining() > length) {
                    throw new Refused("the request has more bytes than its length says");
                }
                body.put(early);
            }
            while (body.hasRemaining()) {
                fill(body);
            }
            return body.array();
        }

        void write(byte[] answer) throws IOException {
            ByteBuffer buffer = ByteBuffer.wrap(answer);
            client.register(selector, SelectionKey.OP_WRITE);
            while (buffer.hasRemaining()) {
                if (client.write(buffer) == 0) {
                    await();
                }
            }
        }

        private void fill(ByteBuffer buffer) throws IOException {
            client.register(selector, SelectionKey.OP_READ);
            while (true) {
                int read = client.read(buffer);
                if (read < 0) {
                    throw new Refused("the request ended early");
                }
                if (read > 0) {
                    return;
                }
                await();
            }
        }

        private void await() throws IOException {
            long left = deadline - System.nanoTime();
            if (left <= 0 || selector.select(Math.max(1, TimeUnit.NANOSECONDS.toMillis(left))) == 0
                    && System.nanoTime() >= deadline) {
                throw new Refused("the request was not complete within "
                        + ControlProtocol.REQUEST_TIMEOUT.toSeconds() + " s");
            }
            selector.selectedKeys().clear();
        }
    }

    /** Stops serving and removes the socket file. Idempotent. */
    @Override
    public void close() {
        closed = true;
        closeQuietly(server);
        try {
            thread.join(TimeUnit.SECONDS.toMillis(6));
            Files.deleteIfExists(path);
        } catch (IOException e) {
            log.debug("could not remove {}: {}", path, e.toString());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void closeQuietly(ServerSocketChannel channel) {
        if (channel == null) {
            return;
        }
        try {
            channel.close();
        } catch (IOException e) {
            // Closing was all that was left to do with it.
        }
    }
}
