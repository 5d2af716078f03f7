package dev.tether.agent.json;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import java.io.IOException;
import java.io.StringWriter;
import java.util.List;
import java.util.Map;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/** {@link JsonWriter} writes, character for character, what Jackson's generator wrote before it. */
class JsonWriterTest {

    private static final JsonFactory JACKSON = new JsonFactory();

    @Property(tries = 2000)
    void writesWhatJacksonsGeneratorWrites(@ForAll("documents") Map<String, Object> document) throws IOException {
        assertThat(JsonWriter.write(document)).isEqualTo(jackson(document));
    }

    @Property(tries = 300)
    void everyCharacterIsWrittenAsJacksonWritesIt(@ForAll("anyText") String text) throws IOException {
        Map<String, Object> document = Map.of(text, List.of(text));
        assertThat(JsonWriter.write(document)).isEqualTo(jackson(document));
    }

    @Provide
    Arbitrary<Map<String, Object>> documents() {
        Arbitrary<Object> leaf = Arbitraries.oneOf(anyText().map(Object.class::cast),
                Arbitraries.integers().map(Object.class::cast), Arbitraries.longs().map(Object.class::cast),
                Arbitraries.doubles().withSpecialValue(Double.NaN).withSpecialValue(Double.NEGATIVE_INFINITY)
                        .withSpecialValue(-0.0).withSpecialValue(1e300).map(Object.class::cast),
                Arbitraries.of(true, false).map(Object.class::cast)).injectNull(0.1);
        Arbitrary<Object> list = leaf.list().ofMaxSize(4).map(Object.class::cast);
        Arbitrary<Object> inner = Arbitraries.maps(anyText(), Arbitraries.oneOf(leaf, list)).ofMaxSize(3)
                .map(Object.class::cast);
        return Arbitraries.maps(anyText(), Arbitraries.oneOf(leaf, list, inner)).ofMaxSize(6);
    }

    @Provide
    Arbitrary<String> anyText() {
        return Arbitraries.strings().all().ofMaxLength(12);
    }

    /** What {@code Json.object} wrote with Jackson's generator, as it did. */
    private static String jackson(Object value) throws IOException {
        StringWriter out = new StringWriter();
        try (JsonGenerator generator = JACKSON.createGenerator(out)) {
            write(generator, value);
        }
        return out.toString();
    }

    private static void write(JsonGenerator generator, Object value) throws IOException {
        switch (value) {
            case null -> generator.writeNull();
            case String s -> generator.writeString(s);
            case Integer i -> generator.writeNumber(i);
            case Long l -> generator.writeNumber(l);
            case Double d -> generator.writeNumber(d);
            case Boolean b -> generator.writeBoolean(b);
            case Map<?, ?> map -> {
                generator.writeStartObject();
                for (Map.Entry<?, ?> field : map.entrySet()) {
                    generator.writeFieldName(String.valueOf(field.getKey()));
                    write(generator, field.getValue());
                }
                generator.writeEndObject();
            }
            case List<?> list -> {
                generator.writeStartArray();
                for (Object element : list) {
                    write(generator, element);
                }
                generator.writeEndArray();
            }
            default -> throw new IllegalArgumentException(value.getClass().getName());
        }
    }
}
