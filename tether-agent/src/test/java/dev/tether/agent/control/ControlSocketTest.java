package dev.tether.agent.control;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tether.agent.events.AgentEvents;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The control socket on a real unix socket: requests, and the bad ones a local client can send. */
@Timeout(60)
class ControlSocketTest {

    @TempDir
    Path stateDir;

    /** Checks events as the agent does ({@link AgentEvents#envelope}) and keeps them. */
    private final List<String> emitted = new CopyOnWriteArrayList<>();
    private final AtomicReference<Throwable> failure = new AtomicReference<>();
    private ControlSocket socket;

    @BeforeEach
    void open() {
        socket = ControlSocket.open(stateDir, new ControlSocket.Handler() {
            @Override
            public Map<String, Object> status() {
                return Map.of("running", true, "emitted", emitted.size());
            }

            @Override
            public void emit(String type, String json) {
                Throwable fail = failure.get();
                if (fail instanceof Error error) {
                    throw error;
                }
                AgentEvents.envelope(type, json, 0);
                emitted.add(type + " " + json);
            }
        });
        assertThat(socket).isNotNull();
    }

    @AfterEach
    void close() {
        socket.close();
    }

    private ControlClient client() {
        return new ControlClient(stateDir, Duration.ofSeconds(20));
    }

    @Test
    void answersStatusAndStoresEventsThroughAnOwnerOnlySocket() throws Exception {
        Path file = stateDir.resolve("agent.sock");
        assertThat(Files.getPosixFilePermissions(file)).isEqualTo(PosixFilePermissions.fromString("rw-------"));

        client().emit("job.started", "{\"job\":\"42\"}".getBytes(StandardCharsets.UTF_8));
        client().emit("job.ended", "{}".getBytes(StandardCharsets.UTF_8));

        assertThat(emitted).containsExactly("job.started {\"job\":\"42\"}", "job.ended {}");
        assertThat(client().status()).isIn("{\"running\":true,\"emitted\":2}", "{\"emitted\":2,\"running\":true}");
        socket.close();
        assertThat(file).doesNotExist();
        assertThatThrownBy(() -> client().status()).isInstanceOf(ControlClient.NotRunning.class)
                .hasMessageContaining("the agent is not running");
    }

    @Test
    void aSocketFileADeadAgentLeftIsReplaced() throws Exception {
        socket.close();
        Files.writeString(stateDir.resolve("agent.sock"), "left over");

        socket = ControlSocket.open(stateDir, new ControlSocket.Handler() {
            @Override
            public Map<String, Object> status() {
                return Map.of("again", true);
            }

            @Override
            public void emit(String type, String json) {
            }
        });

        assertThat(client().status()).isEqualTo("{\"again\":true}");
    }

    @Test
    void badEventsAreRefusedWithTheReasonAndNothingIsStored() {
        assertThatThrownBy(() -> client().emit("a\u0000b", "{}".getBytes(StandardCharsets.UTF_8)))
                .isInstanceOf(ControlClient.Refused.class).hasMessageContaining("use only letters, digits");
        assertThatThrownBy(() -> client().emit("x", "{\"a\":\u0000}".getBytes(StandardCharsets.UTF_8)))
                .isInstanceOf(ControlClient.Refused.class).hasMessageContaining("not well-formed JSON");
        assertThatThrownBy(() -> client().emit("x", new byte[AgentEvents.MAX_PAYLOAD_BYTES + 1]))
                .isInstanceOf(ControlClient.Refused.class).hasMessageContaining("the limit is");
        assertThat(emitted).isEmpty();
    }

    @Test
    void malformedHeadersGetAnErrorEach() throws Exception {
        assertThat(raw("not json\n")).contains("\"ok\":false").contains("not a JSON object");
        assertThat(raw("{\"op\":\"reboot\"}\n")).contains("unknown request 'reboot'");
        assertThat(raw("{\"op\":\"emit\",\"type\":\"x\"}\n")).contains("needs a type and a length");
        assertThat(raw("{\"op\":\"emit\",\"type\":\"x\",\"length\":-5}\n")).contains("needs a type and a length");
        assertThat(raw("{\"op\":\"emit\",\"type\":\"x\",\"length\":99999999999999999999}\n"))
                .contains("needs a type and a length");
        assertThat(raw("{\"op\":\"emit\",\"type\":\"x\",\"length\":2}\n{}{}")).contains("more bytes than its length");
        assertThat(raw("{\"op\":\"emit\",\"type\":\"x\",\"length\":10}\n{}")).contains("ended early");
        assertThat(emitted).isEmpty();
        assertThat(client().status()).contains("running");
    }

    @Test
    void aHeaderThatNeverEndsIsCutAtItsLimit() throws Exception {
        try (SocketChannel channel = connect()) {
            ByteBuffer junk = ByteBuffer.wrap("x".repeat(64 * 1024).getBytes(StandardCharsets.US_ASCII));
            try {
                // Far more than the limit, with no line end; the agent stops reading at 4 KiB and answers.
                for (int i = 0; i < 64 && junk.hasRemaining(); i++) {
                    channel.write(junk);
                }
            } catch (IOException e) {
                // The agent closed after answering.
            }
            assertThat(answer(channel)).contains("longer than 4096 bytes");
        }
        assertThat(client().status()).contains("running");
    }

    @Test
    void aClientThatSendsNothingIsDroppedAfterFiveSecondsAndTheNextIsServed() throws Exception {
        try (SocketChannel stalled = connect()) {
            long start = System.nanoTime();
            String status = client().status();
            long waited = Duration.ofNanos(System.nanoTime() - start).toMillis();

            assertThat(status).contains("running");
            assertThat(waited).as("served after the stalled one's deadline").isBetween(3_000L, 15_000L);
            assertThat(answer(stalled)).contains("not complete within 5 s");
        }
    }

    @Test
    void anErrorInTheAgentIsAnsweredAndTheSocketServesOn() throws Exception {
        failure.set(new OutOfMemoryError("simulated"));
        assertThatThrownBy(() -> client().emit("x", "{}".getBytes(StandardCharsets.UTF_8)))
                .isInstanceOf(ControlClient.Refused.class).hasMessageContaining("OutOfMemoryError: simulated");
        failure.set(null);

        client().emit("x", "{}".getBytes(StandardCharsets.UTF_8));
        assertThat(emitted).containsExactly("x {}");
    }

    private SocketChannel connect() throws IOException {
        SocketChannel channel = SocketChannel.open(StandardProtocolFamily.UNIX);
        channel.connect(UnixDomainSocketAddress.of(stateDir.resolve("agent.sock")));
        return channel;
    }

    private String raw(String request) throws IOException {
        try (SocketChannel channel = connect()) {
            channel.write(ByteBuffer.wrap(request.getBytes(StandardCharsets.UTF_8)));
            channel.shutdownOutput();
            return answer(channel);
        }
    }

    private static String answer(SocketChannel channel) throws IOException {
        ByteBuffer buffer = ByteBuffer.allocate(64 * 1024);
        while (channel.read(buffer) >= 0) {
            if (buffer.position() > 0 && buffer.get(buffer.position() - 1) == '\n') {
                break;
            }
        }
        return new String(buffer.array(), 0, buffer.position(), StandardCharsets.UTF_8);
    }
}
