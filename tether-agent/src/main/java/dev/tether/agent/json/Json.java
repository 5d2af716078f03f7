package dev.tether.agent.json;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadFeature;
import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.util.Map;

/**
 * Checks that a document is well-formed JSON, and writes the agent's own small
 * JSON objects. Uses the streaming parser only. Thread safe.
 */
public final class Json {

    private static final JsonFactory FACTORY = JsonFactory.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .build();

    private Json() {
    }

    /**
     * Why {@code utf8} is not exactly one well-formed JSON value, or null when it is.
     * Reads every token (including string contents), so bad escapes and bad UTF-8 are found.
     */
    public static String problem(byte[] utf8) {
        try (JsonParser parser = FACTORY.createParser(utf8)) {
            return problem(parser);
        } catch (JsonProcessingException e) {
            return describe(e);
        } catch (IOException e) {
            // Parsing a byte array does no I/O; kept for the signature.
            return e.getMessage();
        }
    }

    public static String problem(String json) {
        try (JsonParser parser = FACTORY.createParser(json)) {
            return problem(parser);
        } catch (JsonProcessingException e) {
            return describe(e);
        } catch (IOException e) {
            return e.getMessage();
        }
    }

    private static String problem(JsonParser parser) throws IOException {
        JsonToken token = parser.nextToken();
        if (token == null) {
            return "empty document";
        }
        int depth = 0;
        do {
            if (token.isStructStart()) {
                depth++;
            } else if (token.isStructEnd()) {
                depth--;
            } else if (token == JsonToken.VALUE_STRING) {
                parser.getText();
            }
        } while (depth > 0 && (token = parser.nextToken()) != null);
        if (depth > 0) {
            return "unexpected end of document";
        }
        if (parser.nextToken() != null) {
            return "more than one JSON value at line " + parser.currentLocation().getLineNr() + ", column "
                    + parser.currentLocation().getColumnNr();
        }
        return null;
    }

    private static String describe(JsonProcessingException e) {
        JsonLocation at = e.getLocation();
        String where = at == null ? "" : " at line " + at.getLineNr() + ", column " + at.getColumnNr();
        return e.getOriginalMessage() + where;
    }

    /** A JSON object of the given fields; values may be strings, numbers, booleans or null. */
    public static String object(Map<String, ?> fields) {
        StringWriter out = new StringWriter();
        try (JsonGenerator generator = FACTORY.createGenerator(out)) {
            generator.writeStartObject();
            for (Map.Entry<String, ?> field : fields.entrySet()) {
                generator.writeFieldName(field.getKey());
                writeValue(generator, field.getValue());
            }
            generator.writeEndObject();
        } catch (IOException e) {
            throw new UncheckedIOException("writing JSON to memory failed", e);
        }
        return out.toString();
    }

    private static void writeValue(JsonGenerator generator, Object value) throws IOException {
        switch (value) {
            case null -> generator.writeNull();
            case String s -> generator.writeString(s);
            case Integer i -> generator.writeNumber(i);
            case Long l -> generator.writeNumber(l);
            case Boolean b -> generator.writeBoolean(b);
            default -> throw new IllegalArgumentException("cannot write a " + value.getClass().getName()
                    + " as JSON");
        }
    }
}
