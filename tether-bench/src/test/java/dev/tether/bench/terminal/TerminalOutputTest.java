package dev.tether.bench.terminal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.Test;

class TerminalOutputTest {

    private static final Duration SHORT = Duration.ofMillis(200);

    private static void feed(TerminalOutput out, String text) {
        byte[] bytes = text.getBytes(StandardCharsets.ISO_8859_1);
        out.accept(bytes, 0, bytes.length);
    }

    @Test
    void aMarkerSplitOverChunksIsFoundAtItsOffsetInTheStream() throws Exception {
        TerminalOutput out = new TerminalOutput();
        feed(out, "echo of the command\r\n");
        TerminalOutput.Marker start = out.expect("<S42>");
        TerminalOutput.Marker end = out.expect("<E42>");
        feed(out, "<S4");
        feed(out, "2>xxxx");
        feed(out, "xxxxxx<");
        feed(out, "E42>\r\n$ ");

        TerminalOutput.Sighting first = start.await(SHORT);
        TerminalOutput.Sighting last = end.await(SHORT);
        assertThat(first.offset()).isEqualTo(21);
        assertThat(last.offset() - (first.offset() + start.length())).isEqualTo(10);
        assertThat(out.total()).isEqualTo(21 + 5 + 10 + 5 + 4);
    }

    @Test
    void aFalseStartDoesNotHideTheMarkerThatFollows() throws Exception {
        TerminalOutput out = new TerminalOutput();
        TerminalOutput.Marker marker = out.expect("<P42>");
        feed(out, "<%s> P$((40+2))<P<P42>");
        assertThat(marker.await(SHORT).offset()).isEqualTo(17);
    }

    @Test
    void onlyOutputAfterArmingCounts() throws Exception {
        TerminalOutput out = new TerminalOutput();
        feed(out, "<P42>");
        TerminalOutput.Marker marker = out.expect("<P42>");
        assertThatThrownBy(() -> marker.await(SHORT)).isInstanceOf(TimeoutException.class)
                .hasMessageContaining("<P42>");
    }

    @Test
    void markersWhoseFirstCharacterRepeatsAreRefused() {
        TerminalOutput out = new TerminalOutput();
        assertThatThrownBy(() -> out.expect("<a<")).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void anArmedTotalReportsWhenTheChunkThatReachedItArrived() throws Exception {
        TerminalOutput out = new TerminalOutput();
        feed(out, "ab");
        out.expectTotal(3);
        long before = System.nanoTime();
        feed(out, "c");
        long arrived = out.awaitTotal(SHORT);
        assertThat(arrived).isBetween(before, System.nanoTime());
        assertThat(out.lastByte()).isEqualTo('c');
    }

    @Test
    void anEndedStreamStopsTheWaitWithItsReasonAndTheLastOutput() {
        TerminalOutput out = new TerminalOutput();
        feed(out, "bash: stty: not found\r\n");
        TerminalOutput.Marker marker = out.expect("<R42>");
        out.end("closed 1000");
        assertThatThrownBy(() -> marker.await(Duration.ofSeconds(5))).isInstanceOf(TimeoutException.class)
                .hasMessageContaining("closed 1000").hasMessageContaining("stty: not found\\x0d\\x0a");
    }
}
