package dev.tether.agent.json;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * {@link PlainJsonCheck} may only say "well-formed" where Jackson, as {@link Json#problem} runs it, agrees: every
 * document it accepts is checked against Jackson, the tricky ones by hand and many more by random mutation.
 */
class PlainJsonCheckTest {

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static boolean quick(String s) {
        return PlainJsonCheck.wellFormed(utf8(s));
    }

    @Test
    void theJsonEventsUsuallyCarryIsCheckedWithoutJackson() {
        List<String> plain = List.of("{}", "[]", "{\"n\":1}", "{\"n\": 1234, \"host\": \"web-1\", \"ok\": true}",
                "{\"a\":{\"b\":[1,-2.5e-3,0,-0,1E+9,null,false]},\"s\":\"line\\n\\ttab \\\"q\\\" \\\\ \\/\"}",
                " \r\n\t{ \"x\" : [ ] , \"y\" : { } }\n", "\"just a string\"", "42", "null", "[[[[1]]]]");
        for (String json : plain) {
            assertThat(quick(json)).as(json).isTrue();
            assertThat(Json.problemFoundByJackson(utf8(json))).as(json).isNull();
        }
    }

    @Test
    void whatJacksonRefusesIsNeverTakenForWellFormed() {
        List<String> refused = List.of("", " ", "{\"a\":1,\"a\":2}", "{\"a\":{\"b\":1,\"b\":1}}", "{\"a\":01}",
                "[1,]", "{\"a\":1,}", "{'a':1}", "{a:1}", "\"\u0001\"", "[1 2]", "1 2", "NaN", "Infinity", ".5",
                "1.", "+1", "-", "1e", "1e+", "0x1", "{\"a\":tru}", "{\"a\":truex}", "[true\"a\"]", "\"\\q\"",
                "{}{}", "/*c*/1", "{\"a\":1}//", "\"abc", "{\"a\" 1}", "{\"a\":}", "[", "]", "{\"a\":[1,2}", "[1}",
                "{\"a\":1]", "{,}", "[,1]", "\"\\", "nul", "[-]", "{\"a\":1 \"b\":2}", "{\"a\"", "{\"a\":",
                "[1,2,,3]", "\u00a0{}", "{}\u0000", "[01]", "[1.e5]", "[-01]", "[00]");
        for (String json : refused) {
            assertThat(Json.problemFoundByJackson(utf8(json))).as("Jackson refuses %s", json).isNotNull();
            assertThat(quick(json)).as(json).isFalse();
            assertThat(Json.problem(utf8(json))).as(json).isNotNull();
        }
    }

    @Test
    void whatItIsNotSureOfGoesToJackson() {
        // Well-formed, but outside what the quick check reads: Jackson accepts them.
        List<String> outside = List.of("{\"\\u0061\":1}", "\"\\u00e9\"", "\"é\"", "{\"a\\n\":1}",
                "[".repeat(PlainJsonCheck.MAX_DEPTH + 1) + "]".repeat(PlainJsonCheck.MAX_DEPTH + 1),
                "1" + "0".repeat(PlainJsonCheck.MAX_NUMBER_LENGTH));
        for (String json : outside) {
            assertThat(quick(json)).as(json).isFalse();
            assertThat(Json.problem(utf8(json))).as(json).isNull();
        }
        // And a name given twice in an escaped spelling is still found, by Jackson.
        assertThat(Json.problem(utf8("{\"a\":1,\"\\u0061\":2}"))).contains("Duplicate field");
    }

    @Test
    void aDocumentTheQuickCheckAcceptsIsOneJacksonAccepts() {
        Random random = new Random(20261207);
        List<String> seeds = List.of("{\"n\":1,\"s\":\"x\\n\",\"a\":[true,false,null,-1.5e3]}",
                "[{\"a\":{}},{\"b\":[]},\"\",0]", "{\"ab\":\"ab\",\"ba\":-0.0}", "\"s\"");
        String alphabet = "{}[]\":,.-+eE0123456789 \t\ntruefalsn\\/abq'\u0001";
        int accepted = 0;
        int mutations = 200_000;
        for (int i = 0; i < mutations; i++) {
            StringBuilder doc = new StringBuilder(seeds.get(random.nextInt(seeds.size())));
            int edits = 1 + random.nextInt(3);
            for (int e = 0; e < edits; e++) {
                int at = random.nextInt(doc.length() + 1);
                char c = alphabet.charAt(random.nextInt(alphabet.length()));
                switch (random.nextInt(3)) {
                    case 0 -> doc.insert(at, c);
                    case 1 -> {
                        if (at < doc.length()) {
                            doc.deleteCharAt(at);
                        }
                    }
                    default -> {
                        if (at < doc.length()) {
                            doc.setCharAt(at, c);
                        }
                    }
                }
            }
            byte[] bytes = utf8(doc.toString());
            if (PlainJsonCheck.wellFormed(bytes)) {
                accepted++;
                assertThat(Json.problemFoundByJackson(bytes)).as("accepted %s", doc).isNull();
            }
        }
        // Not a vacuous pass: a good share of the mutations stays well-formed.
        assertThat(accepted).isGreaterThan(mutations / 50);
    }
}
