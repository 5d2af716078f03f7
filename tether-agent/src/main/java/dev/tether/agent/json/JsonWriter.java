package dev.tether.agent.json;

import java.util.List;
import java.util.Map;

/**
 * Writes {@link Json#object}'s documents without Jackson, so that an agent that only starts, connects and idles
 * never loads it (its first job does): the same text Jackson's generator writes, checked against it by
 * {@code JsonWriterTest}. Strings escape {@code "}, {@code \} and the control characters below U+0020 ({@code \b},
 * {@code \t}, {@code \n}, {@code \f}, {@code \r}, else the six-character escape with its hex digits in capitals);
 * anything else is written as it is.
 *
 * <p>Stateless.
 */
final class JsonWriter {

    private static final char[] HEX = "0123456789ABCDEF".toCharArray();

    private JsonWriter() {
    }

    static String write(Object value) {
        StringBuilder out = new StringBuilder(64);
        value(out, value);
        return out.toString();
    }

    private static void value(StringBuilder out, Object value) {
        switch (value) {
            case null -> out.append("null");
            case String s -> string(out, s);
            case Integer i -> out.append(i.intValue());
            case Long l -> out.append(l.longValue());
            case Double d when Double.isFinite(d) -> out.append(d.doubleValue());
            // As Jackson's default (WRITE_NAN_AS_STRINGS): NaN and the infinities as strings.
            case Double d -> string(out, d.toString());
            case Boolean b -> out.append(b.booleanValue());
            case Map<?, ?> map -> {
                out.append('{');
                String comma = "";
                for (Map.Entry<?, ?> field : map.entrySet()) {
                    out.append(comma);
                    string(out, String.valueOf(field.getKey()));
                    out.append(':');
                    value(out, field.getValue());
                    comma = ",";
                }
                out.append('}');
            }
            case List<?> list -> {
                out.append('[');
                for (int i = 0; i < list.size(); i++) {
                    out.append(i == 0 ? "" : ",");
                    value(out, list.get(i));
                }
                out.append(']');
            }
            default -> throw new IllegalArgumentException("cannot write a " + value.getClass().getName()
                    + " as JSON");
        }
    }

    private static void string(StringBuilder out, String text) {
        out.append('"');
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            switch (c) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                case '\b' -> out.append("\\b");
                case '\t' -> out.append("\\t");
                case '\n' -> out.append("\\n");
                case '\f' -> out.append("\\f");
                case '\r' -> out.append("\\r");
                default -> {
                    if (c < 0x20) {
                        out.append("\\u00").append(HEX[c >> 4]).append(HEX[c & 0xF]);
                    } else {
                        out.append(c);
                    }
                }
            }
        }
        out.append('"');
    }
}
