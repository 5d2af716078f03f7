package dev.tether.server.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tether.protocol.CloseCodes;
import dev.tether.protocol.ProtocolException;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocket13FrameDecoder;
import io.netty.handler.codec.http.websocketx.WebSocketDecoderConfig;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The agent's frame reader against Netty's own WebSocket decoder on the same bytes, split anywhere, and
 * against every rule a client frame can break.
 */
class FrameReaderTest {

    private static final int MAX = 1 << 20;
    /** Leak detection: every buffer is counted and released by the test. */
    private final ByteBufAllocator alloc = new UnpooledByteBufAllocator(false, true);

    /** One client frame: FIN, RSV bits, opcode, then the length as given, then the mask and masked payload. */
    private static byte[] frame(int firstByte, byte[] payload, int mask, boolean masked, int lengthForm) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(firstByte);
        int maskBit = masked ? 0x80 : 0;
        long length = payload.length;
        if (lengthForm == 7) {
            out.write(maskBit | (int) length);
        } else if (lengthForm == 16) {
            out.write(maskBit | 126);
            out.write((int) (length >> 8));
            out.write((int) length);
        } else {
            out.write(maskBit | 127);
            for (int shift = 56; shift >= 0; shift -= 8) {
                out.write((int) (length >> shift));
            }
        }
        if (masked) {
            for (int shift = 24; shift >= 0; shift -= 8) {
                out.write(mask >> shift);
            }
        }
        for (int i = 0; i < payload.length; i++) {
            out.write(masked ? payload[i] ^ mask >> 24 - 8 * (i & 3) : payload[i]);
        }
        return out.toByteArray();
    }

    private static byte[] frame(int opcode, boolean fin, byte[] payload, int mask) {
        int form = payload.length < 126 ? 7 : payload.length < 65_536 ? 16 : 64;
        return frame((fin ? 0x80 : 0) | opcode, payload, mask, true, form);
    }

    private record Seen(String type, boolean fin, String content) {
    }

    private static Seen seen(WebSocketFrame frame) {
        return new Seen(frame.getClass().getSimpleName(), frame.isFinalFragment(),
                ByteBufUtil.hexDump(frame.content()));
    }

    /** Feeds the reader the chunks in turn, collecting every frame; stops at a protocol error, which it returns. */
    private ProtocolException read(FrameReader reader, List<byte[]> chunks, List<Seen> out) {
        for (byte[] chunk : chunks) {
            reader.add(alloc, alloc.buffer(chunk.length).writeBytes(chunk));
            try {
                for (WebSocketFrame frame = reader.next(); frame != null; frame = reader.next()) {
                    out.add(seen(frame));
                    frame.release();
                }
            } catch (ProtocolException e) {
                return e;
            }
        }
        return null;
    }

    private static List<byte[]> split(byte[] bytes, SplittableRandom random) {
        List<byte[]> chunks = new ArrayList<>();
        int at = 0;
        while (at < bytes.length) {
            int size = Math.min(bytes.length - at, 1 + random.nextInt(random.nextBoolean() ? 8 : 70_000));
            byte[] chunk = new byte[size];
            System.arraycopy(bytes, at, chunk, 0, size);
            chunks.add(chunk);
            at += size;
        }
        return chunks;
    }

    private static List<Seen> netty(byte[] bytes) {
        EmbeddedChannel channel = new EmbeddedChannel(new WebSocket13FrameDecoder(WebSocketDecoderConfig.newBuilder()
                .maxFramePayloadLength(MAX).expectMaskedFrames(true).allowMaskMismatch(false)
                .allowExtensions(false).closeOnProtocolViolation(false).build()));
        channel.writeInbound(Unpooled.wrappedBuffer(bytes));
        List<Seen> out = new ArrayList<>();
        for (WebSocketFrame frame = channel.readInbound(); frame != null; frame = channel.readInbound()) {
            out.add(seen(frame));
            frame.release();
        }
        channel.finishAndReleaseAll();
        return out;
    }

    @Test
    void readsWhatNettysDecoderReadsHoweverTheBytesAreSplit() {
        for (long seed = 1; seed <= 200; seed++) {
            SplittableRandom random = new SplittableRandom(seed);
            ByteArrayOutputStream stream = new ByteArrayOutputStream();
            boolean inMessage = false;
            for (int i = 0, count = 1 + random.nextInt(12); i < count; i++) {
                int kind = random.nextInt(5);
                byte[] payload;
                if (kind == 0) {
                    payload = new byte[random.nextInt(126)];
                    random.nextBytes(payload);
                    stream.writeBytes(frame(random.nextBoolean() ? 0x9 : 0xA, true, payload, random.nextInt()));
                    continue;
                }
                int size = switch (random.nextInt(4)) {
                    case 0 -> random.nextInt(126);
                    case 1 -> 126 + random.nextInt(65_536 - 126);
                    case 2 -> 65_536 + random.nextInt(200_000);
                    default -> 0;
                };
                payload = new byte[size];
                random.nextBytes(payload);
                boolean fin = random.nextInt(3) > 0;
                stream.writeBytes(frame(inMessage ? 0x0 : 0x2, fin, payload, random.nextInt()));
                inMessage = !fin;
            }
            if (random.nextBoolean()) {
                stream.writeBytes(frame(0x8, true, new byte[] {0x03, (byte) 0xE8, 'b', 'y', 'e'}, random.nextInt()));
            }
            byte[] bytes = stream.toByteArray();
            List<Seen> ours = new ArrayList<>();
            FrameReader reader = new FrameReader(MAX);

            assertThat(read(reader, split(bytes, random), ours)).as("seed %d", seed).isNull();
            reader.stop();

            assertThat(ours).as("seed %d", seed).isEqualTo(netty(bytes));
        }
    }

    private ProtocolException refused(byte[]... frames) {
        ByteArrayOutputStream stream = new ByteArrayOutputStream();
        for (byte[] frame : frames) {
            stream.writeBytes(frame);
        }
        FrameReader reader = new FrameReader(MAX);
        List<Seen> ignored = new ArrayList<>();
        ProtocolException error = read(reader, List.of(stream.toByteArray()), ignored);
        assertThat(error).as("refused").isNotNull();
        assertThat(read(reader, List.of(frame(0x2, true, new byte[] {1}, 7)), ignored))
                .as("nothing read after the error").isNull();
        assertThat(ignored).isEmpty();
        return error;
    }

    @Test
    void refusesEveryFrameAClientMayNotSend() {
        byte[] one = {42};
        assertThat(refused(frame(0x82, one, 1, false, 7)).closeCode()).as("unmasked")
                .isEqualTo(CloseCodes.PROTOCOL_ERROR);
        for (int rsv : new int[] {0x40, 0x20, 0x10}) {
            assertThat(refused(frame(0x80 | rsv | 0x2, one, 1, true, 7)).closeCode()).as("rsv %x", rsv)
                    .isEqualTo(CloseCodes.PROTOCOL_ERROR);
        }
        for (int opcode : new int[] {0x3, 0x7, 0xB, 0xF}) {
            assertThat(refused(frame(0x80 | opcode, one, 1, true, 7)).closeCode()).as("opcode %x", opcode)
                    .isEqualTo(CloseCodes.PROTOCOL_ERROR);
        }
        assertThat(refused(frame(0x9, true, new byte[126], 1)).closeCode()).as("ping over 125 bytes")
                .isEqualTo(CloseCodes.PROTOCOL_ERROR);
        assertThat(refused(frame(0x09, one, 1, true, 7)).closeCode()).as("fragmented ping")
                .isEqualTo(CloseCodes.PROTOCOL_ERROR);
        assertThat(refused(frame(0x82, one, 1, true, 16)).closeCode()).as("16-bit length for 1 byte")
                .isEqualTo(CloseCodes.PROTOCOL_ERROR);
        assertThat(refused(frame(0x82, new byte[300], 1, true, 64)).closeCode()).as("64-bit length for 300")
                .isEqualTo(CloseCodes.PROTOCOL_ERROR);
        assertThat(refused(frame(0x8, true, one, 1)).closeCode()).as("close with one byte")
                .isEqualTo(CloseCodes.PROTOCOL_ERROR);
        assertThat(refused(frame(0x8, true, new byte[] {0x03, (byte) 0xED}, 1)).closeCode()).as("close 1005")
                .isEqualTo(CloseCodes.PROTOCOL_ERROR);
        assertThat(refused(frame(0x8, true, new byte[] {0x03, (byte) 0xE8, (byte) 0xC3, 0x28}, 1)).closeCode())
                .as("close reason not UTF-8").isEqualTo(CloseCodes.INVALID_PAYLOAD);
    }

    @Test
    void aLengthWithItsTopBitSetOrOverTheLimitIsRefusedFromItsHeaderAlone() {
        byte[] huge = {(byte) 0x82, (byte) 0xFF, (byte) 0x80, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3, 4};
        assertThat(refused(huge).closeCode()).isEqualTo(CloseCodes.PROTOCOL_ERROR);

        byte[] tooBig = {(byte) 0x82, (byte) 0xFF, 0, 0, 0, 0, 0x7F, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, 1, 2, 3, 4};
        ProtocolException error = refused(tooBig);
        assertThat(error.closeCode()).isEqualTo(CloseCodes.MESSAGE_TOO_BIG);
        assertThat(error.closeReason()).contains("2147483647");
    }

    @Test
    void nothingIsReadAfterTheAgentsCloseFrame() throws ProtocolException {
        FrameReader reader = new FrameReader(MAX);
        byte[] close = frame(0x8, true, new byte[] {0x03, (byte) 0xE8}, 9);
        byte[] after = frame(0x2, true, new byte[] {1, 2}, 9);
        reader.add(alloc, alloc.buffer().writeBytes(close).writeBytes(after));

        WebSocketFrame first = reader.next();
        assertThat(first).isInstanceOf(CloseWebSocketFrame.class);
        assertThat(((CloseWebSocketFrame) first).statusCode()).isEqualTo(1000);
        first.release();
        assertThat(reader.next()).isNull();
        ByteBuf late = alloc.buffer().writeBytes(after);
        reader.add(alloc, late);
        assertThat(late.refCnt()).as("dropped at once").isZero();
    }

    @Test
    void randomBytesEndInFramesOrAProtocolErrorAndLeaveNoBufferBehind() {
        for (long seed = 1; seed <= 2_000; seed++) {
            SplittableRandom random = new SplittableRandom(seed);
            byte[] bytes = new byte[random.nextInt(400)];
            random.nextBytes(bytes);
            if (bytes.length > 1 && random.nextBoolean()) {
                bytes[1] |= (byte) 0x80;
            }
            FrameReader reader = new FrameReader(MAX);
            List<ByteBuf> given = new ArrayList<>();
            for (byte[] chunk : split(bytes, random)) {
                ByteBuf buf = alloc.buffer(chunk.length).writeBytes(chunk);
                given.add(buf);
                reader.add(alloc, buf);
                try {
                    for (WebSocketFrame frame = reader.next(); frame != null; frame = reader.next()) {
                        frame.release();
                    }
                } catch (ProtocolException e) {
                    assertThat(e.closeCode()).isIn(CloseCodes.PROTOCOL_ERROR, CloseCodes.INVALID_PAYLOAD,
                            CloseCodes.MESSAGE_TOO_BIG);
                }
            }
            reader.stop();
            assertThat(given).as("seed %d", seed).allMatch(buf -> buf.refCnt() == 0);
        }
    }

    @Test
    void aReadOnlyBufferIsCopiedBeforeItsPayloadIsUnmasked() throws ProtocolException {
        FrameReader reader = new FrameReader(MAX);
        byte[] bytes = frame(0x2, true, new byte[] {5, 6, 7}, 0x01020304);
        reader.add(alloc, Unpooled.wrappedBuffer(bytes).asReadOnly());
        WebSocketFrame frame = reader.next();
        assertThat(ByteBufUtil.getBytes(frame.content())).containsExactly(5, 6, 7);
        frame.release();
    }

    @Test
    void aFrameOverTheLimitIsRefusedAsTooBig() {
        FrameReader reader = new FrameReader(4);
        List<Seen> ignored = new ArrayList<>();
        ProtocolException error = read(reader, List.of(frame(0x2, true, new byte[5], 1)), ignored);
        assertThat(error.closeCode()).isEqualTo(CloseCodes.MESSAGE_TOO_BIG);
        assertThat(error.closeReason()).contains("limit of 4");
    }
}
