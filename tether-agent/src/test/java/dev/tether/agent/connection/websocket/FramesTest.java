package dev.tether.agent.connection.websocket;

import static dev.tether.agent.connection.websocket.HostilePeer.frame;
import static dev.tether.agent.connection.websocket.HostilePeer.header;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tether.agent.connection.websocket.WebSocket.Inbound;
import dev.tether.agent.testing.WebSocketFrames;
import dev.tether.protocol.CloseCodes;
import dev.tether.protocol.ProtocolException;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Frames between the client and a scripted server over a real socket: what is read, what is answered, and
 * every frame a server may not send refused with its close code.
 */
class FramesTest {

    private static final int LIMIT = 1024;
    private static final long SECOND = TimeUnit.SECONDS.toNanos(1);

    private final HostilePeer peer;
    private HostilePeer.Pair pair;

    FramesTest() throws IOException {
        peer = new HostilePeer();
    }

    @AfterEach
    void close() throws IOException {
        if (pair != null) {
            pair.client().abort();
        }
        peer.close();
    }

    private HostilePeer.Pair open() throws Exception {
        pair = peer.open(HostilePeer.client(LIMIT));
        return pair;
    }

    private static byte[] bytes(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void aFragmentedMessageWithControlFramesBetweenItsPartsIsJoinedAndThePingAnswered() throws Exception {
        HostilePeer.Pair pair = open();
        pair.send(frame(0x02, bytes("ab")), frame(0x89, bytes("ping!")), frame(0x00, bytes("cd")),
                frame(0x8A, bytes("pong")), frame(0x80, bytes("ef")));

        assertThat(pair.client().receive(SECOND)).isInstanceOf(Inbound.Activity.class);
        assertThat(pair.client().receive(SECOND)).isInstanceOf(Inbound.Activity.class);
        assertThat(pair.client().receive(SECOND)).isInstanceOfSatisfying(Inbound.Message.class,
                message -> assertThat(new String(message.data(), StandardCharsets.UTF_8)).isEqualTo("abcdef"));
        WebSocketFrames.Frame pong = WebSocketFrames.readFrame(pair.in());
        assertThat(pong.opcode()).isEqualTo(WebSocketFrames.PONG);
        assertThat(pong.payload()).isEqualTo(bytes("ping!"));
    }

    @Test
    void messagesSentTogetherArriveAsOneMaskedFrameEachInOrder() throws Exception {
        HostilePeer.Pair pair = open();
        byte[] large = new byte[70_000];
        large[69_999] = 7;
        pair.client().sendBinary(java.util.List.of(bytes("one"), new byte[200], large, bytes("")));

        byte[][] expected = {bytes("one"), new byte[200], large, bytes("")};
        for (byte[] payload : expected) {
            WebSocketFrames.Frame frame = WebSocketFrames.readFrame(pair.in());
            assertThat(frame.fin()).isTrue();
            assertThat(frame.opcode()).isEqualTo(WebSocketFrames.BINARY);
            assertThat(frame.payload()).isEqualTo(payload);
        }
    }

    @Test
    void aMessageOfExactlyTheLimitIsRead() throws Exception {
        HostilePeer.Pair pair = open();
        pair.send(frame(0x82, new byte[LIMIT]));

        assertThat(pair.client().receive(SECOND)).isInstanceOfSatisfying(Inbound.Message.class,
                message -> assertThat(message.data()).hasSize(LIMIT));
    }

    @Test
    void theServersCloseIsReadWithItsCodeAndReason() throws Exception {
        HostilePeer.Pair pair = open();
        pair.send(frame(0x88, WebSocketFrames.closePayload(4001, "replaced")), frame(0x88, new byte[0]));

        assertThat(pair.client().receive(SECOND)).isEqualTo(new Inbound.Closed(4001, "replaced"));
        assertThat(pair.client().receive(SECOND)).isEqualTo(new Inbound.Closed(1005, ""));
    }

    @Test
    void everyClientFrameIsMaskedWithAKeyOfItsOwn() throws Exception {
        HostilePeer.Pair pair = open();
        pair.client().sendBinary(bytes("same payload"));
        pair.client().sendBinary(bytes("same payload"));
        pair.client().sendBinary(new byte[70_000]);

        DataInputStream in = new DataInputStream(pair.in());
        byte[][] keys = new byte[2][];
        for (int i = 0; i < 2; i++) {
            assertThat(in.readUnsignedByte()).isEqualTo(0x82);
            assertThat(in.readUnsignedByte()).isEqualTo(0x80 | 12);
            keys[i] = in.readNBytes(4);
            byte[] masked = in.readNBytes(12);
            for (int j = 0; j < masked.length; j++) {
                masked[j] ^= keys[i][j & 3];
            }
            assertThat(new String(masked, StandardCharsets.UTF_8)).isEqualTo("same payload");
        }
        assertThat(keys[0]).isNotEqualTo(keys[1]);
        WebSocketFrames.Frame large = WebSocketFrames.readFrame(pair.in());
        assertThat(large.payload()).hasSize(70_000).containsOnly(0);
    }

    @Test
    void theCloseFrameCarriesItsCodeAndReason() throws Exception {
        HostilePeer.Pair pair = open();
        pair.client().sendClose(CloseCodes.MESSAGE_TOO_BIG, "frame too big");

        WebSocketFrames.Frame close = WebSocketFrames.readFrame(pair.in());
        assertThat(close.opcode()).isEqualTo(WebSocketFrames.CLOSE);
        assertThat(WebSocketFrames.closeCode(close.payload())).isEqualTo(1009);
        assertThat(WebSocketFrames.closeReason(close.payload())).isEqualTo("frame too big");
    }

    static Stream<Arguments> refusedFrames() {
        return Stream.of(
                Arguments.of("a text frame", frame(0x81, bytes("hello?")), 1003, "text frames are not part"),
                Arguments.of("a reserved bit", frame(0xC2, bytes("x")), 1002, "reserved bits"),
                Arguments.of("an unknown opcode", frame(0x83, bytes("x")), 1002, "unknown opcode 3"),
                Arguments.of("a fragmented ping", frame(0x09, bytes("x")), 1002, "fragmented control frame"),
                Arguments.of("a 126-byte ping", frame(0x89, new byte[126]), 1002, "a control frame of 126 bytes"),
                Arguments.of("a masked frame", new byte[] {(byte) 0x82, (byte) 0x81, 1, 2, 3, 4, 5}, 1002,
                        "masked frame"),
                Arguments.of("a length with the top bit set", header(0x82, Long.MIN_VALUE + 5), 1002,
                        "top bit set"),
                Arguments.of("a huge length", header(0x82, 1L << 40), 1009,
                        "frame of 1099511627776 bytes exceeds the limit of 1024"),
                Arguments.of("one byte over the limit", header(0x82, LIMIT + 1), 1009, "exceeds the limit of 1024"),
                Arguments.of("fragments over the limit", concat(frame(0x02, new byte[1000]), header(0x00, 100)),
                        1009, "frame of more than 1100 bytes exceeds"),
                Arguments.of("a continuation of nothing", frame(0x80, bytes("x")), 1002, "no message to continue"),
                Arguments.of("a message inside a message", concat(frame(0x02, bytes("a")), frame(0x82, bytes("b"))),
                        1002, "a new message began"),
                Arguments.of("a close without its second code byte", frame(0x88, new byte[] {3}), 1002,
                        "1-byte payload"),
                Arguments.of("close code 1005", frame(0x88, WebSocketFrames.closePayload(1005, "")), 1002,
                        "the code 1005"),
                Arguments.of("close code 999", frame(0x88, WebSocketFrames.closePayload(999, "")), 1002,
                        "the code 999"),
                Arguments.of("a close reason that is not UTF-8",
                        frame(0x88, new byte[] {0x03, (byte) 0xE8, (byte) 0xC3, 0x28}), 1007, "not UTF-8"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("refusedFrames")
    void aFrameNoServerMaySendIsRefusedWithItsCloseCodeAndTheInputIsGivenUp(String what, byte[] bytes, int code,
            String reason) throws Exception {
        HostilePeer.Pair pair = open();
        pair.send(bytes);

        assertThatThrownBy(() -> pair.client().receive(SECOND)).isInstanceOfSatisfying(ProtocolException.class,
                e -> {
                    assertThat(e.closeCode()).isEqualTo(code);
                    assertThat(e.getMessage()).contains(reason);
                });
        assertThatThrownBy(() -> pair.client().receive(SECOND)).isInstanceOf(IOException.class)
                .hasMessage("the connection's input failed earlier");
    }

    @Test
    void aStreamThatStopsInTheMiddleOfAFrameIsAnErrorNotAMessage() throws Exception {
        HostilePeer.Pair pair = open();
        pair.send(header(0x82, 10), bytes("abc"));
        pair.peer().shutdownOutput();

        assertThatThrownBy(() -> pair.client().receive(SECOND)).isInstanceOf(EOFException.class)
                .hasMessage("the server's stream ended in the middle of a frame");
    }

    @Test
    void aStreamThatEndsWithoutACloseFrameSaysSo() throws Exception {
        HostilePeer.Pair pair = open();
        pair.peer().shutdownOutput();

        assertThatThrownBy(() -> pair.client().receive(SECOND)).isInstanceOf(EOFException.class)
                .hasMessage("the server ended the connection without a close frame");
    }

    @Test
    void aSendToAPeerThatNeverReadsIsReportedStalledAndAbortEndsIt() throws Exception {
        pair = peer.open(HostilePeer.client(() -> null, Duration.ofSeconds(5), Duration.ofMillis(300), LIMIT));
        WebSocket client = pair.client();
        CompletableFuture<Throwable> sending = HostilePeer.failure(() -> {
            for (int i = 0; i < 10_000; i++) {
                client.sendBinary(new byte[64 * 1024]);
            }
            return null;
        });

        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (!client.writeStalled()) {
            assertThat(System.nanoTime()).as("a send stalled within 20 s").isLessThan(deadline);
            assertThat(sending).as("the peer took 640 MB").isNotDone();
            Thread.sleep(20);
        }
        client.abort();

        assertThat(sending.get(5, TimeUnit.SECONDS)).isInstanceOf(IOException.class);
        assertThat(client.writeStalled()).isFalse();
    }

    private static byte[] concat(byte[] first, byte[] second) {
        byte[] both = new byte[first.length + second.length];
        System.arraycopy(first, 0, both, 0, first.length);
        System.arraycopy(second, 0, both, first.length, second.length);
        return both;
    }
}
