package dev.tether.cli.logging;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.slf4j.event.KeyValuePair;

/**
 * The JSON format ({@code TETHER_LOG_FORMAT=json}): each log event as one JSON object on one line, for log
 * shippers:
 * <pre>
 * {"time":"2026-12-06T14:03:07.123Z","level":"INFO","logger":"tether.access","thread":"vert.x-eventloop-thread-1",
 *  "message":"GET /healthz 200 15B 0.402ms ...","mdc":{"request_id":"5f0c..."},
 *  "kv":{"method":"GET","status":200,...},"exception":"java.lang.IllegalStateException: ...\n\tat ..."}
 * </pre>
 * {@code time} is UTC with milliseconds; {@code mdc} and {@code kv} (the event's key-value pairs) appear when
 * not empty, {@code exception} (the stack trace as the text format prints it, causes included) when there is
 * one. Nested objects keep every MDC key and key-value pair apart from the fixed fields, whatever their names.
 *
 * <p>Every string is escaped by Jackson's generator (quotes, backslashes, and control characters, NUL and line
 * breaks included, as {@code \n} or {@code \u0000}), so no message can break the line or forge a field; an
 * unpaired surrogate becomes {@code ?} in the UTF-8 output.
 *
 * <p>A line is bounded, because log shippers split or drop long lines (Docker's json-file driver at 16 KiB,
 * journald at 48 KiB by default): the message and each MDC and key-value string keep their first
 * {@value #MAX_FIELD_CHARS} characters, the exception its first {@value #MAX_EXCEPTION_CHARS}; a cut string
 * ends with {@code …[N chars cut]} and the line gets {@code "truncated":true}. A cut never splits a surrogate
 * pair.
 *
 * <p>Written by logback's {@link JsonLogEncoder} in the server and the CLI, and by the agent package's own
 * provider. Stateless, thread safe.
 */
public final class JsonLogLine {

    /** Longest message, MDC value or key-value string kept whole, in chars. */
    public static final int MAX_FIELD_CHARS = 8192;
    /** Longest stack trace kept whole, in chars. */
    public static final int MAX_EXCEPTION_CHARS = 32768;
    private static final JsonFactory FACTORY = new JsonFactory();

    private JsonLogLine() {
    }

    /** The event's line, with its line feed, in UTF-8. */
    public static byte[] encode(LogEvent event) {
        StringWriter line = new StringWriter(256);
        try (JsonGenerator json = FACTORY.createGenerator(line)) {
            write(event, json);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        // Encoded from chars, so an unpaired surrogate becomes '?' here instead of failing the generator.
        return (line + "\n").getBytes(StandardCharsets.UTF_8);
    }

    private static void write(LogEvent event, JsonGenerator json) throws IOException {
        Fields fields = new Fields();
        json.writeStartObject();
        json.writeStringField("time", Instant.ofEpochMilli(event.timeMillis()).toString());
        json.writeStringField("level", event.level());
        json.writeStringField("logger", fields.bounded(event.logger(), MAX_FIELD_CHARS));
        json.writeStringField("thread", fields.bounded(event.thread(), MAX_FIELD_CHARS));
        json.writeStringField("message", fields.bounded(event.message(), MAX_FIELD_CHARS));
        Map<String, String> mdc = event.mdc();
        if (mdc != null && !mdc.isEmpty()) {
            json.writeObjectFieldStart("mdc");
            for (Map.Entry<String, String> entry : new TreeMap<>(mdc).entrySet()) {
                json.writeStringField(fields.bounded(entry.getKey(), MAX_FIELD_CHARS),
                        fields.bounded(entry.getValue(), MAX_FIELD_CHARS));
            }
            json.writeEndObject();
        }
        List<KeyValuePair> pairs = event.keyValues();
        if (pairs != null && !pairs.isEmpty()) {
            // A later pair of the same key wins, as it would in a map.
            Map<String, Object> values = new LinkedHashMap<>();
            pairs.forEach(pair -> values.put(fields.bounded(String.valueOf(pair.key), MAX_FIELD_CHARS),
                    fields.value(pair.value)));
            json.writeObjectFieldStart("kv");
            for (Map.Entry<String, Object> entry : values.entrySet()) {
                json.writeFieldName(entry.getKey());
                writeValue(json, entry.getValue());
            }
            json.writeEndObject();
        }
        if (event.exception() != null) {
            json.writeStringField("exception", fields.bounded(event.exception(), MAX_EXCEPTION_CHARS));
        }
        if (fields.cut) {
            json.writeBooleanField("truncated", true);
        }
        json.writeEndObject();
    }

    private static void writeValue(JsonGenerator json, Object value) throws IOException {
        switch (value) {
            case null -> json.writeNull();
            case Boolean b -> json.writeBoolean(b);
            case Integer i -> json.writeNumber(i);
            case Long l -> json.writeNumber(l);
            case Short s -> json.writeNumber(s);
            case Byte b -> json.writeNumber(b);
            case Double d when Double.isFinite(d) -> json.writeNumber(d);
            case Float f when Float.isFinite(f) -> json.writeNumber(f);
            case BigInteger i -> json.writeNumber(i);
            case BigDecimal d -> json.writeNumber(d);
            default -> json.writeString(value.toString());
        }
    }

    /** Cuts strings to their bound for one event, remembering whether it cut any. Not thread safe. */
    private static final class Fields {

        private boolean cut;

        /** Numbers and booleans as themselves, anything else as its (bounded) text. */
        Object value(Object value) {
            return value instanceof Number || value instanceof Boolean || value == null ? value
                    : bounded(value.toString(), MAX_FIELD_CHARS);
        }

        String bounded(String text, int max) {
            if (text == null || text.length() <= max) {
                return text;
            }
            cut = true;
            int end = Character.isHighSurrogate(text.charAt(max - 1)) ? max - 1 : max;
            return text.substring(0, end) + "…[" + (text.length() - end) + " chars cut]";
        }
    }
}
