package dev.tether.agent.json;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadFeature;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Checks that a document is well-formed JSON, reads the top-level members of
 * small parameter objects (with Jackson's streaming parser), and writes the
 * agent's own small JSON objects ({@link JsonWriter}). Thread safe.
 */
public final class Json {

    /** Jackson's parser, made at the first read: writing ({@link #object}) does without it. */
    private static final class Parsers {

        static final JsonFactory FACTORY = JsonFactory.builder()
                .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
                .build();
    }

    private Json() {
    }

    /**
     * Why {@code utf8} is not exactly one well-formed JSON value, or null when it is.
     * Reads every token (including string contents), so bad escapes and bad UTF-8 are found.
     */
    public static String problem(byte[] utf8) {
        // Most events' JSON is plain enough to be checked without a parser; Jackson has the last word otherwise.
        return PlainJsonCheck.wellFormed(utf8) ? null : problemFoundByJackson(utf8);
    }

    /** {@link #problem(byte[])} by Jackson alone. */
    static String problemFoundByJackson(byte[] utf8) {
        try (JsonParser parser = Parsers.FACTORY.createParser(utf8)) {
            return problem(parser);
        } catch (JsonProcessingException e) {
            return describe(e);
        } catch (IOException e) {
            // Parsing a byte array does no I/O; kept for the signature.
            return e.getMessage();
        }
    }

    public static String problem(String json) {
        try (JsonParser parser = Parsers.FACTORY.createParser(json)) {
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

    /** A top-level member of a JSON object: its kind and its text. */
    public record Member(Kind kind, String text) {

        public enum Kind { STRING, NUMBER, BOOLEAN, NULL, OBJECT, ARRAY }
    }

    /**
     * The members of a JSON object, one level deep, in document order: a string's
     * text (unescaped), a number's or boolean's JSON text, "null", and a nested
     * object's or array's JSON text exactly as written.
     *
     * @throws IllegalArgumentException when {@code json} is not one well-formed JSON object
     */
    public static Map<String, Member> members(String json) {
        String problem = problem(json);
        if (problem != null) {
            throw new IllegalArgumentException("not well-formed JSON: " + problem);
        }
        try (JsonParser parser = Parsers.FACTORY.createParser(json)) {
            if (parser.nextToken() != JsonToken.START_OBJECT) {
                throw new IllegalArgumentException("not a JSON object");
            }
            Map<String, Member> members = new LinkedHashMap<>();
            while (parser.nextToken() == JsonToken.FIELD_NAME) {
                String name = parser.currentName();
                parser.nextToken();
                members.put(name, member(parser, json));
            }
            return members;
        } catch (IOException e) {
            throw new IllegalArgumentException("not well-formed JSON: " + e.getMessage(), e);
        }
    }

    /**
     * The elements of a JSON array, one level deep, as {@link #members(String)} gives an object's.
     *
     * @throws IllegalArgumentException when {@code json} is not one well-formed JSON array
     */
    public static List<Member> elements(String json) {
        String problem = problem(json);
        if (problem != null) {
            throw new IllegalArgumentException("not well-formed JSON: " + problem);
        }
        try (JsonParser parser = Parsers.FACTORY.createParser(json)) {
            if (parser.nextToken() != JsonToken.START_ARRAY) {
                throw new IllegalArgumentException("not a JSON array");
            }
            List<Member> elements = new ArrayList<>();
            while (parser.nextToken() != JsonToken.END_ARRAY) {
                elements.add(member(parser, json));
            }
            return elements;
        } catch (IOException e) {
            throw new IllegalArgumentException("not well-formed JSON: " + e.getMessage(), e);
        }
    }

    private static Member member(JsonParser parser, String json) throws IOException {
        JsonToken token = parser.currentToken();
        Member.Kind kind = switch (token) {
            case VALUE_STRING -> Member.Kind.STRING;
            case VALUE_NUMBER_INT, VALUE_NUMBER_FLOAT -> Member.Kind.NUMBER;
            case VALUE_TRUE, VALUE_FALSE -> Member.Kind.BOOLEAN;
            case START_OBJECT -> Member.Kind.OBJECT;
            case START_ARRAY -> Member.Kind.ARRAY;
            default -> Member.Kind.NULL;
        };
        if (!token.isStructStart()) {
            return new Member(kind, parser.getText());
        }
        // The nested document exactly as written: a config keeps the operator's formatting.
        int start = (int) parser.currentTokenLocation().getCharOffset();
        parser.skipChildren();
        int end = (int) parser.currentLocation().getCharOffset();
        return new Member(kind, json.substring(start, end));
    }

    /**
     * A JSON object of the given fields; values may be strings, numbers, booleans,
     * null, maps (nested objects, written in their iteration order) or lists.
     */
    public static String object(Map<String, ?> fields) {
        return JsonWriter.write(fields);
    }
}
