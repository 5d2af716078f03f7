package dev.tether.server.shell;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.json.JsonArray;
import java.nio.charset.StandardCharsets;
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
}
