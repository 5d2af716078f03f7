package dev.tether.server.shell;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.json.JsonArray;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;

class CastJsonTest {

    @Test
    void eventsAreJsonArraysThatDecodeToTheSameText() throws Exception {
        String text = "plain \"quoted\" back\\slash\r\n\ttab \u0001\u001b[31mred\u2028 é 😀";
        StringWriter out = new StringWriter();

        CastJson.event(out, 1.25, "o", text);

        assertThat(out.toString()).endsWith("\n").startsWith("[1.250000,\"o\",");
        JsonArray decoded = new JsonArray(out.toString().strip());
        assertThat(decoded.getDouble(0)).isEqualTo(1.25);
        assertThat(decoded.getString(1)).isEqualTo("o");
        assertThat(decoded.getString(2)).isEqualTo(text);
    }
}
