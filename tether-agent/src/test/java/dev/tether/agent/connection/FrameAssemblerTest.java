package dev.tether.agent.connection;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tether.protocol.CloseCodes;
import dev.tether.protocol.ProtocolException;
import java.nio.ByteBuffer;
import org.junit.jupiter.api.Test;

class FrameAssemblerTest {

    private final FrameAssembler assembler = new FrameAssembler(10);

    @Test
    void aMessageInOnePartComesOutWhole() throws ProtocolException {
        assertThat(assembler.append(ByteBuffer.wrap(new byte[] {1, 2, 3}), true)).containsExactly(1, 2, 3);
    }

    @Test
    void partsAreJoinedInOrderUntilTheLastOne() throws ProtocolException {
        assertThat(assembler.append(ByteBuffer.wrap(new byte[] {1, 2}), false)).isNull();
        assertThat(assembler.append(ByteBuffer.wrap(new byte[] {3}), false)).isNull();
        assertThat(assembler.append(ByteBuffer.wrap(new byte[] {4, 5}), true)).containsExactly(1, 2, 3, 4, 5);
        assertThat(assembler.append(ByteBuffer.wrap(new byte[] {6}), true)).containsExactly(6);
    }

    @Test
    void aMessageOfExactlyTheLimitIsAccepted() throws ProtocolException {
        assertThat(assembler.append(ByteBuffer.wrap(new byte[6]), false)).isNull();
        assertThat(assembler.append(ByteBuffer.wrap(new byte[4]), true)).hasSize(10);
    }

    @Test
    void aMessageGrowingOverTheLimitIsRefusedWith1009BeforeItsLastPart() throws ProtocolException {
        assembler.append(ByteBuffer.wrap(new byte[8]), false);
        assertThatThrownBy(() -> assembler.append(ByteBuffer.wrap(new byte[3]), false))
                .isInstanceOfSatisfying(ProtocolException.class,
                        e -> assertThat(e.closeCode()).isEqualTo(CloseCodes.MESSAGE_TOO_BIG))
                .hasMessage("frame of more than 11 bytes exceeds the limit of 10");
    }

    @Test
    void aSinglePartOverTheLimitIsRefused() {
        assertThatThrownBy(() -> assembler.append(ByteBuffer.wrap(new byte[11]), true))
                .hasMessage("frame of 11 bytes exceeds the limit of 10");
    }

    @Test
    void theRealLimitIsTheProtocolsOneMebibyte() throws ProtocolException {
        FrameAssembler real = new FrameAssembler(dev.tether.protocol.Limits.MAX_FRAME_BYTES);
        for (int i = 0; i < 16; i++) {
            assertThat(real.append(ByteBuffer.allocate(64 * 1024), false)).isNull();
        }
        assertThatThrownBy(() -> real.append(ByteBuffer.allocate(1), true))
                .isInstanceOf(ProtocolException.class);
    }
}
