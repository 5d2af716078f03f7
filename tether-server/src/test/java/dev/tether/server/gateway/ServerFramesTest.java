package dev.tether.server.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PongWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocket13FrameDecoder;
import io.netty.handler.codec.http.websocketx.WebSocketDecoderConfig;
import java.nio.charset.StandardCharsets;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

/** The frames the server writes, read back by Netty's own decoder as a client would read them. */
class ServerFramesTest {

    private final ByteBufAllocator alloc = PooledByteBufAllocator.DEFAULT;
    /** A client's decoder: the server's frames are unmasked. */
    private final EmbeddedChannel client = new EmbeddedChannel(new WebSocket13FrameDecoder(
            WebSocketDecoderConfig.newBuilder().expectMaskedFrames(false).maxFramePayloadLength(1 << 20).build()));

    @ParameterizedTest
    @ValueSource(ints = {0, 1, 125, 126, 127, 65_535, 65_536, 300_000})
    void aBinaryFrameOfAnyLengthDecodesToItsPayload(int length) {
        byte[] payload = new byte[length];
        new Random(length).nextBytes(payload);
        ByteBuf frame = ServerFrames.binary(alloc, length).writeBytes(payload);
        assertThat(frame.writableBytes()).isZero();
        assertThat(ServerFrames.payloadBytes(frame)).isEqualTo(length);

        client.writeInbound(frame);
        BinaryWebSocketFrame read = client.readInbound();

        assertThat(read.isFinalFragment()).isTrue();
        assertThat(ByteBufUtil.getBytes(read.content())).isEqualTo(payload);
        read.release();
    }

    @Test
    void aPongCarriesThePingsPayloadAndLeavesItUnread() {
        ByteBuf ping = Unpooled.copiedBuffer("are you there", StandardCharsets.US_ASCII);

        client.writeInbound(ServerFrames.pong(alloc, ping));
        PongWebSocketFrame read = client.readInbound();

        assertThat(read.content().toString(StandardCharsets.US_ASCII)).isEqualTo("are you there");
        assertThat(ping.readableBytes()).isEqualTo(13);
        read.release();
    }

    @Test
    void aCloseFrameCarriesItsCodeAndItsReasonCutToWhatAControlFrameHolds() {
        client.writeInbound(ServerFrames.close(alloc, 4005, "é".repeat(100)));
        CloseWebSocketFrame read = client.readInbound();

        assertThat(read.statusCode()).isEqualTo(4005);
        assertThat(read.reasonText()).isEqualTo("é".repeat(61));
        read.release();
    }

    @Test
    void aCloseFrameWithoutAReasonCarriesOnlyItsCode() {
        ByteBuf frame = ServerFrames.close(alloc, 1000, null);
        assertThat(frame.readableBytes()).isEqualTo(4);

        client.writeInbound(frame);
        CloseWebSocketFrame read = client.readInbound();

        assertThat(read.statusCode()).isEqualTo(1000);
        assertThat(read.reasonText()).isEmpty();
        read.release();
    }
}
