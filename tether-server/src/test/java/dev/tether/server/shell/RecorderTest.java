package dev.tether.server.shell;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RecorderTest {

    @TempDir
    Path dir;

    @Test
    void outputOfAsciiChunksAndACharacterSplitBetweenTwoChunksPlaysBackAsTheBytesSent() throws Exception {
        Path file = dir.resolve("recordings").resolve("s.cast");
        Recorder recorder = Recorder.start(file, Runnable::run, false, 1 << 20,
                new Recorder.Header(80, 24, 0, "xterm", List.of(), "test"));
        byte[] cafe = "caf\u00e9\r\n".getBytes(StandardCharsets.UTF_8);
        int split = 4;

        recorder.output("\u001b[1mplain \"ascii\"\u001b[0m ".getBytes(StandardCharsets.US_ASCII));
        recorder.output(java.util.Arrays.copyOfRange(cafe, 0, split));
        recorder.output(java.util.Arrays.copyOfRange(cafe, split, cafe.length));
        recorder.output("x".repeat(40_000).getBytes(StandardCharsets.US_ASCII));
        recorder.output(new byte[] {(byte) 0xff, 'z'});
        recorder.close().get();

        List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        assertThat(new JsonObject(lines.get(0)).getInteger("width")).isEqualTo(80);
        StringBuilder played = new StringBuilder();
        for (String line : lines.subList(1, lines.size())) {
            JsonArray event = new JsonArray(line);
            assertThat(event.getString(1)).isEqualTo("o");
            played.append(event.getString(2));
        }
        assertThat(played.toString()).isEqualTo("\u001b[1mplain \"ascii\"\u001b[0m caf\u00e9\r\n" + "x".repeat(40_000)
                + "\ufffdz");
        assertThat(Files.size(file)).isEqualTo(String.join("\n", lines).getBytes(StandardCharsets.UTF_8).length + 1);
    }
}
