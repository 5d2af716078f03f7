package dev.tether.server.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tether.protocol.CloseCodes;
import dev.tether.protocol.ProtocolException;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.WebSocketFrame;
import org.junit.jupiter.api.Test;

class MessageAssemblerTest {

    private final MessageAssembler assembler = new MessageAssembler(10);

    @Test
    void finalBinaryFrameIsAMessage() throws Exception {
        assertThat(assembler.accept(WebSocketFrame.binaryFrame(Buffer.buffer("abc"), true)))
                .isEqualTo(Buffer.buffer("abc"));
    }

    @Test
    void fragmentsAreJoined() throws Exception {
        assertThat(assembler.accept(WebSocketFrame.binaryFrame(Buffer.buffer("ab"), false))).isNull();
        assertThat(assembler.accept(WebSocketFrame.continuationFrame(Buffer.buffer("cd"), false))).isNull();
        assertThat(assembler.accept(WebSocketFrame.continuationFrame(Buffer.buffer("e"), true)))
                .isEqualTo(Buffer.buffer("abcde"));
        assertThat(assembler.accept(WebSocketFrame.binaryFrame(Buffer.buffer("x"), true)))
                .isEqualTo(Buffer.buffer("x"));
    }

    @Test
    void fragmentsOverTheLimitAreTooBig() throws Exception {
        assembler.accept(WebSocketFrame.binaryFrame(Buffer.buffer("123456"), false));

        assertThatThrownBy(() -> assembler.accept(WebSocketFrame.continuationFrame(Buffer.buffer("78901"), true)))
                .isInstanceOf(ProtocolException.class)
                .satisfies(e -> assertThat(((ProtocolException) e).closeCode()).isEqualTo(CloseCodes.MESSAGE_TOO_BIG));
    }

    @Test
    void textIsUnsupportedData() {
        assertThatThrownBy(() -> assembler.accept(WebSocketFrame.textFrame("hi", true)))
                .satisfies(e -> assertThat(((ProtocolException) e).closeCode())
                        .isEqualTo(CloseCodes.UNSUPPORTED_DATA));
    }

    @Test
    void pingIsNoMessage() throws Exception {
        assertThat(assembler.accept(WebSocketFrame.pingFrame(Buffer.buffer("p")))).isNull();
    }
}
