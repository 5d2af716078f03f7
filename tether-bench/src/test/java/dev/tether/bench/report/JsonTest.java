package dev.tether.bench.report;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class JsonTest {

    @Test
    void readsWhatTheServerSends() {
        Map<String, Object> agent = Json.parseObject("{\"id\":\"5dd6\",\"labels\":{\"bench\":\"1\"},"
                + "\"key\":\"tak_I57\",\"n\":42,\"x\":-1.5e2,\"ok\":true,\"none\":null,\"list\":[1,\"two\",[]]}");
        assertThat(agent).containsEntry("id", "5dd6").containsEntry("n", 42L).containsEntry("x", -150.0)
                .containsEntry("ok", true).containsEntry("none", null);
        assertThat(agent.get("labels")).isEqualTo(Map.of("bench", "1"));
        assertThat(agent.get("list")).isEqualTo(List.of(1L, "two", List.of()));
    }

    @Test
    void escapesSurviveARoundTrip() {
        String tricky = "quote \" backslash \\ newline \n tab \t control \u0001 unicode é";
        Map<String, Object> doc = new LinkedHashMap<>();
        doc.put("s", tricky);
        assertThat(Json.parseObject(Json.write(doc))).containsEntry("s", tricky);
        assertThat(Json.parse("\"\\u00e9\"")).isEqualTo("é");
    }

    @Test
    void writesNumbersPlainlyAndNonFiniteAsNull() {
        Map<String, Object> doc = new LinkedHashMap<>();
        doc.put("whole", 3.0);
        doc.put("half", 0.5);
        doc.put("nan", Double.NaN);
        doc.put("long", 12L);
        assertThat(Json.write(doc)).isEqualTo("{\"whole\":3,\"half\":0.5,\"nan\":null,\"long\":12}");
    }

    @Test
    void prettyOutputParsesBack() {
        Map<String, Object> doc = new LinkedHashMap<>();
        doc.put("a", List.of(1L, 2L));
        doc.put("b", Map.of("c", "d"));
        doc.put("e", List.of());
        doc.put("f", Map.of());
        assertThat(Json.parseObject(Json.pretty(doc))).isEqualTo(doc);
    }

    @Test
    void malformedInputSaysWhere() {
        assertThatThrownBy(() -> Json.parse("{\"a\":}")).hasMessageContaining("offset 5");
        assertThatThrownBy(() -> Json.parse("[1,2] x")).hasMessageContaining("trailing");
        assertThatThrownBy(() -> Json.parseObject("[1]")).hasMessageContaining("expected a JSON object");
    }
}
