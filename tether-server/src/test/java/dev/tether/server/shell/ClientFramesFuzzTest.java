package dev.tether.server.shell;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.tether.protocol.Limits;

/**
 * Whatever text a browser or CLI sends on the terminal socket, the control
 * parser returns a resize within 1-1000 each way or a close, or refuses it with
 * an {@link IllegalArgumentException} whose message tells the client what to
 * send; nothing else escapes. Regression inputs:
 * {@code src/test/resources/dev/tether/server/shell/ClientFramesFuzzTestInputs/}.
 */
class ClientFramesFuzzTest {

    @FuzzTest(maxDuration = "10s")
    void anyControlMessageParsesToAValidControlOrAClearRefusal(String text) {
        if (text == null) {
            return; // the WebSocket never hands over a null message
        }
        try {
            ClientFrames.Control control = ClientFrames.parse(text);
            if (control instanceof ClientFrames.Control.Resize resize) {
                assertThat(resize.rows()).isBetween(1, Limits.MAX_TERMINAL_DIMENSION);
                assertThat(resize.cols()).isBetween(1, Limits.MAX_TERMINAL_DIMENSION);
            } else {
                assertThat(control).isInstanceOf(ClientFrames.Control.Close.class);
            }
        } catch (IllegalArgumentException refused) {
            assertThat(refused.getMessage()).isNotBlank();
        }
    }
}
