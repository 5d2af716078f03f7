package dev.tether.agent.json;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

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

    @Test
    void membersAreReadOneLevelDeepWithNestedDocumentsAsWritten() {
        Map<String, Json.Member> members = Json.members(
                "{\"url\": \"http://x\", \"n\": 4, \"ok\": true, \"config\": {\"a\": [1, 2]}, \"z\": null}");

        assertThat(members.get("url")).isEqualTo(new Json.Member(Json.Member.Kind.STRING, "http://x"));
        assertThat(members.get("n")).isEqualTo(new Json.Member(Json.Member.Kind.NUMBER, "4"));
        assertThat(members.get("ok").kind()).isEqualTo(Json.Member.Kind.BOOLEAN);
        assertThat(members.get("config")).isEqualTo(new Json.Member(Json.Member.Kind.OBJECT, "{\"a\": [1, 2]}"));
        assertThat(members.get("z").kind()).isEqualTo(Json.Member.Kind.NULL);
        assertThatThrownBy(() -> Json.members("[1]")).hasMessage("not a JSON object");
        assertThatThrownBy(() -> Json.members("{")).hasMessageStartingWith("not well-formed JSON");
    }

    @Test
    void nestedMapsAndListsAreWritten() {
        Map<String, Object> fields = new LinkedHashMap<>();
        fields.put("checks", Map.of("a", Map.of("ok", true)));
        fields.put("list", java.util.List.of(1, "x"));
        assertThat(Json.object(fields)).isEqualTo("{\"checks\":{\"a\":{\"ok\":true}},\"list\":[1,\"x\"]}");
    }
}
