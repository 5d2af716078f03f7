package dev.tether.server.text;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/** Output chunks become text without breaking characters that straddle two chunks. */
class Utf8TextTest {

    @Test
    void characterSplitAcrossChunksIsDecodedWhole() {
        byte[] euro = "€".getBytes(StandardCharsets.UTF_8);
        Utf8Text text = new Utf8Text();

        String first = text.decode(concat("price: ".getBytes(StandardCharsets.UTF_8), Arrays.copyOf(euro, 1)));
        String second = text.decode(concat(Arrays.copyOfRange(euro, 1, 3), " 5\n".getBytes(StandardCharsets.UTF_8)));

        assertThat(first).isEqualTo("price: ");
        assertThat(second).isEqualTo("€ 5\n");
    }

    @Test
    void invalidBytesBecomeReplacementCharacters() {
        Utf8Text text = new Utf8Text();

        assertThat(text.decode(new byte[] {'a', (byte) 0xff, 'b'})).isEqualTo("a\uFFFDb");
    }

    @Test
    void streamEndingInsideACharacterFinishesWithAReplacement() {
        Utf8Text text = new Utf8Text();
        text.decode(new byte[] {'x', (byte) 0xe2, (byte) 0x82});

        assertThat(text.finish()).isEqualTo("\uFFFD");
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] out = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}
