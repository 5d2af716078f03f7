package dev.tether.server.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tether.protocol.CloseCodes;
import dev.tether.protocol.ProtocolException;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.ContinuationWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PingWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class MessageAssemblerTest {

    private final MessageAssembler assembler = new MessageAssembler(10);
    /** Every frame and message of a test, each checked released at its end: the assembler must not leak. */
    private final List<ByteBuf> buffers = new ArrayList<>();

    @AfterEach
    void everyBufferIsReleased() {
        assembler.discard();
        assertThat(buffers).allSatisfy(buffer -> assertThat(buffer.refCnt()).isZero());
    }

    @Test
    void finalBinaryFrameIsAMessage() throws Exception {
        assertThat(message(binary("abc", true))).isEqualTo("abc");
    }

    @Test
    void fragmentsAreJoined() throws Exception {
        assertThat(message(binary("ab", false))).isNull();
        assertThat(message(continuation("cd", false))).isNull();
        assertThat(message(continuation("e", true))).isEqualTo("abcde");
        assertThat(message(binary("x", true))).isEqualTo("x");
    }

    @Test
    void fragmentsOverTheLimitAreTooBig() throws Exception {
        message(binary("123456", false));

        assertThatThrownBy(() -> message(continuation("78901", true)))
                .isInstanceOf(ProtocolException.class)
                .satisfies(e -> assertThat(((ProtocolException) e).closeCode()).isEqualTo(CloseCodes.MESSAGE_TOO_BIG));
    }

    @Test
    void aMessageOfManySmallFragmentsOverTheLimitIsTooBigAtTheFragmentThatPassesIt() throws Exception {
        for (int i = 0; i < 5; i++) {
            assertThat(message(i == 0 ? binary("12", false) : continuation("12", false))).isNull();
        }

        assertThatThrownBy(() -> message(continuation("1", false)))
                .satisfies(e -> assertThat(((ProtocolException) e).closeCode()).isEqualTo(CloseCodes.MESSAGE_TOO_BIG))
                .hasMessageContaining("message of 11 bytes or more");
    }

    @Test
    void aNewMessageInsideAnotherIsAProtocolError() throws Exception {
        message(binary("ab", false));

        assertThatThrownBy(() -> message(binary("cd", true)))
                .satisfies(e -> assertThat(((ProtocolException) e).closeCode()).isEqualTo(CloseCodes.PROTOCOL_ERROR));
    }

    @Test
    void textIsUnsupportedData() {
        assertThatThrownBy(() -> message(track(new TextWebSocketFrame("hi"))))
                .satisfies(e -> assertThat(((ProtocolException) e).closeCode())
                        .isEqualTo(CloseCodes.UNSUPPORTED_DATA));
    }

    @Test
    void pingIsNoMessage() throws Exception {
        assertThat(message(track(new PingWebSocketFrame(Unpooled.copiedBuffer("p", StandardCharsets.UTF_8)))))
                .isNull();
    }

    /** Feeds one frame as the socket does (releasing it after) and reads out and releases the message. */
    private String message(WebSocketFrame frame) throws ProtocolException {
        try {
            ByteBuf message = assembler.accept(frame);
            if (message == null) {
                return null;
            }
            buffers.add(message);
            try {
                return message.toString(StandardCharsets.UTF_8);
            } finally {
                message.release();
            }
        } finally {
            frame.release();
        }
    }

    private WebSocketFrame binary(String text, boolean fin) {
        return track(new BinaryWebSocketFrame(fin, 0, Unpooled.copiedBuffer(text, StandardCharsets.UTF_8)));
    }

    private WebSocketFrame continuation(String text, boolean fin) {
        return track(new ContinuationWebSocketFrame(fin, 0, Unpooled.copiedBuffer(text, StandardCharsets.UTF_8)));
    }

    private WebSocketFrame track(WebSocketFrame frame) {
        buffers.add(frame.content());
        return frame;
    }
}
