package dev.tether.agent.json;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class JsonTest {

    @Test
    void aWellFormedDocumentHasNoProblem() {
        assertThat(Json.problem("{\"a\": {\"b\": [1, \"x\"]}}")).isNull();
        assertThat(Json.problem(new byte[] {'[', ']'})).isNull();
    }

    @Test
    void invalidUtf8InsideAStringIsAProblem() {
        byte[] bytes = {'"', (byte) 0xC3, (byte) 0x28, '"'};
        assertThat(Json.problem(bytes)).isNotNull();
    }

    @Test
    void aProblemSaysWhere() {
        assertThat(Json.problem("{\n  \"a\": tru\n}")).contains("line 2");
        assertThat(Json.problem("[1] [2]")).contains("more than one JSON value");
        assertThat(Json.problem("[1, 2")).isNotNull();
    }

    @Test
    void objectsAreWrittenWithEscapes() {
        Map<String, Object> fields = new LinkedHashMap<>();
        fields.put("s", "a\"b\n");
        fields.put("n", 5L);
        fields.put("b", true);
        fields.put("z", null);
        String json = Json.object(fields);
        assertThat(json).isEqualTo("{\"s\":\"a\\\"b\\n\",\"n\":5,\"b\":true,\"z\":null}");
        assertThat(Json.problem(json)).isNull();
    }
}
