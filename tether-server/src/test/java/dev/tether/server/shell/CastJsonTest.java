package dev.tether.server.shell;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.json.JsonArray;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

class CastJsonTest {

    private static String event(CastJson.Line line, double seconds, String kind, String text) {
        CastJson.event(line, seconds, kind, text);
        return new String(line.bytes(), 0, line.size(), StandardCharsets.UTF_8);
    }

    @Test
    void eventsAreJsonArraysThatDecodeToTheSameText() {
        String text = "plain \"quoted\" back\\slash\r\n\ttab \u0001\u001b[31mred\u2028 é ü € 😀 \u07ff\uffff";

        String written = event(new CastJson.Line(), 1.25, "o", text);

        assertThat(written).endsWith("\n").startsWith("[1.250000,\"o\",").contains("\\u2028", "\\u0001");
        JsonArray decoded = new JsonArray(written.strip());
        assertThat(decoded.getDouble(0)).isEqualTo(1.25);
        assertThat(decoded.getString(1)).isEqualTo("o");
        assertThat(decoded.getString(2)).isEqualTo(text);
    }

    @Test
    void aReusedLineHoldsOnlyTheLatestEventAndGrowsForAChunkOfControlCharacters() {
        CastJson.Line line = new CastJson.Line();
        event(line, 0.5, "o", "x".repeat(40_000));

        String nuls = event(line, 2, "o", "\0".repeat(32 * 1024));

        assertThat(line.size()).isEqualTo("[2.000000,\"o\",\"".length() + 6 * 32 * 1024 + "\"]\n".length());
        assertThat(new JsonArray(nuls.strip()).getString(2)).isEqualTo("\0".repeat(32 * 1024));
    }

    @Test
    void aLoneSurrogateIsWrittenAsStringGetBytesWritesIt() {
        String text = "a\ud800b\udc00c";

        String written = event(new CastJson.Line(), 0, "o", text);

        assertThat(new JsonArray(written.strip()).getString(2))
                .isEqualTo(new String(text.getBytes(StandardCharsets.UTF_8), StandardCharsets.UTF_8));
    }

    @Test
    void anAsciiChunkIsWrittenFromItsBytesExactlyAsItsTextAndAnyOtherIsLeftToTheText() {
        String ascii = "\u001b[1;31mred\u001b[0m \"q\" \\ \r\n\t\0\u007f end";
        CastJson.Line fromBytes = new CastJson.Line();
        CastJson.Line fromText = new CastJson.Line();

        assertThat(CastJson.asciiEvent(fromBytes, 3.5, "o", ascii.getBytes(StandardCharsets.US_ASCII))).isTrue();
        CastJson.event(fromText, 3.5, "o", ascii);

        assertThat(new String(fromBytes.bytes(), 0, fromBytes.size(), StandardCharsets.UTF_8))
                .isEqualTo(new String(fromText.bytes(), 0, fromText.size(), StandardCharsets.UTF_8));
        assertThat(CastJson.asciiEvent(fromBytes, 3.5, "o", "caf\u00e9".getBytes(StandardCharsets.UTF_8))).isFalse();
        assertThat(fromBytes.size()).isZero();
    }

    @Test
    void everyAsciiCharacterAndAChunkOfNulsAreWrittenFromBytesAsFromText() {
        StringBuilder every = new StringBuilder();
        for (char c = 0; c < 0x80; c++) {
            every.append(c).append('x').append(c).append(c);
        }
        for (String text : List.of(every.toString(), "\0".repeat(32 * 1024), "\u001b".repeat(1000) + "tail")) {
            CastJson.Line fromBytes = new CastJson.Line();
            CastJson.Line fromText = new CastJson.Line();

            assertThat(CastJson.asciiEvent(fromBytes, 1.25, "o", text.getBytes(StandardCharsets.US_ASCII))).isTrue();
            CastJson.event(fromText, 1.25, "o", text);

            assertThat(Arrays.copyOf(fromBytes.bytes(), fromBytes.size()))
                    .isEqualTo(Arrays.copyOf(fromText.bytes(), fromText.size()));
        }
    }

    /**
     * One line reused over many chunks, as a recorder uses it: a chunk with escapes spread through it must fit
     * whatever size the line was left at (two escapes and a long tail once wrote past the end).
     */
    @Test
    void aReusedLineFitsAnyMixOfEscapesAndPlainCharacters() {
        java.util.Random random = new java.util.Random(42);
        CastJson.Line reusedForBytes = new CastJson.Line();
        CastJson.Line reusedForText = new CastJson.Line();
        for (int round = 0; round < 2_000; round++) {
            // A fresh line grows to just what the first estimate asks for: the tightest fit.
            CastJson.Line fromBytes = round % 2 == 0 ? new CastJson.Line() : reusedForBytes;
            CastJson.Line fromText = round % 2 == 0 ? new CastJson.Line() : reusedForText;
            int length = random.nextInt(round % 10 == 0 ? 40_000 : 2_000);
            double controls = random.nextDouble() * random.nextDouble();
            StringBuilder text = new StringBuilder(length);
            for (int i = 0; i < length; i++) {
                double pick = random.nextDouble();
                text.append(pick < controls ? (char) random.nextInt(0x20)
                        : pick < controls + 0.02 ? '"' : (char) (0x20 + random.nextInt(0x5f)));
            }
            if (round % 3 == 0) {
                text.append("\u00e9\u20ac\ud83d\ude00\u2028".repeat(random.nextInt(3)));
            }
            String expected = text.toString();

            String written = event(fromText, round, "o", expected);
            assertThat(new JsonArray(written.strip()).getString(2)).as("round " + round).isEqualTo(expected);
            byte[] bytes = expected.getBytes(StandardCharsets.UTF_8);
            if (CastJson.asciiEvent(fromBytes, round, "o", bytes)) {
                String ascii = new String(fromBytes.bytes(), 0, fromBytes.size(), StandardCharsets.UTF_8);
                assertThat(ascii).as("round " + round).isEqualTo(written);
            }
        }
    }

    @Test
    void twoEscapesFollowedByALongPlainTailFitALineSizedForTheChunk() {
        String text = "\u001b\u001b" + "x".repeat(698);

        String fromText = event(new CastJson.Line(), 0, "o", text);
        CastJson.Line fromBytes = new CastJson.Line();
        assertThat(CastJson.asciiEvent(fromBytes, 0, "o", text.getBytes(StandardCharsets.US_ASCII))).isTrue();

        assertThat(new JsonArray(fromText.strip()).getString(2)).isEqualTo(text);
        assertThat(new String(fromBytes.bytes(), 0, fromBytes.size(), StandardCharsets.UTF_8)).isEqualTo(fromText);
    }
}
