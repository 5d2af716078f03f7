package dev.tether.agent.shell;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class ScrollbackTest {

    private static void append(Scrollback ring, String text) {
        byte[] bytes = text.getBytes(StandardCharsets.US_ASCII);
        ring.append(bytes, 0, bytes.length);
    }

    private static String copy(Scrollback ring, long offset, int max) {
        return new String(ring.copy(offset, max), StandardCharsets.US_ASCII);
    }

    @Test
    void offsetsCountEveryByteFromZero() {
        Scrollback ring = new Scrollback(8);
        append(ring, "abc");
        append(ring, "de");

        assertThat(ring.start()).isZero();
        assertThat(ring.end()).isEqualTo(5);
        assertThat(copy(ring, 0, 100)).isEqualTo("abcde");
        assertThat(copy(ring, 3, 100)).isEqualTo("de");
        assertThat(copy(ring, 1, 2)).isEqualTo("bc");
        assertThat(copy(ring, 5, 100)).isEmpty();
    }

    @Test
    void wrappingDropsTheOldestBytesAndKeepsTheOffsets() {
        Scrollback ring = new Scrollback(8);
        append(ring, "0123456");
        append(ring, "789ab");

        assertThat(ring.end()).isEqualTo(12);
        assertThat(ring.start()).isEqualTo(4);
        assertThat(copy(ring, 4, 100)).isEqualTo("456789ab");
        assertThat(copy(ring, 6, 3)).isEqualTo("678");
        assertThat(copy(ring, 10, 100)).isEqualTo("ab");
    }

    @Test
    void anAppendLargerThanTheRingKeepsItsTail() {
        Scrollback ring = new Scrollback(4);
        append(ring, "x");
        append(ring, "0123456789");

        assertThat(ring.end()).isEqualTo(11);
        assertThat(ring.start()).isEqualTo(7);
        assertThat(copy(ring, 7, 100)).isEqualTo("6789");
    }

    @Test
    void manyWrapsStayConsistent() {
        Scrollback ring = new Scrollback(7);
        StringBuilder all = new StringBuilder();
        for (int i = 0; i < 200; i++) {
            String piece = Integer.toString(i, 36).repeat(i % 5 + 1);
            append(ring, piece);
            all.append(piece);
            long start = ring.start();
            assertThat(copy(ring, start, 100)).isEqualTo(all.substring((int) start));
        }
    }

    @Test
    void bytesNoLongerHeldCannotBeCopied() {
        Scrollback ring = new Scrollback(4);
        append(ring, "abcdef");

        assertThatThrownBy(() -> ring.copy(1, 1)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("outside the scrollback [2, 6)");
        assertThatThrownBy(() -> ring.copy(7, 1)).isInstanceOf(IllegalArgumentException.class);
    }
}
