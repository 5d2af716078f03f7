package dev.tether.server.shell;

import java.io.IOException;
import java.io.Writer;
import java.util.Locale;

/**
 * Writes asciicast event lines, {@code [seconds, "kind", "text"]}, straight to
 * a writer: the text is escaped as a JSON string in runs (characters that need
 * no escape are written in bulk), with no intermediate JSON tree or copy. The
 * output of a flooding shell passes through here, so it matters. Stateless.
 */
final class CastJson {

    private static final char[] HEX = "0123456789abcdef".toCharArray();

    private CastJson() {
    }

    static void event(Writer out, double seconds, String kind, String text) throws IOException {
        out.write('[');
        out.write(String.format(Locale.ROOT, "%.6f", seconds));
        out.write(",\"");
        out.write(kind);
        out.write("\",\"");
        string(out, text);
        out.write("\"]\n");
    }

    /** The JSON string body of {@code text} (without the quotes). */
    static void string(Writer out, String text) throws IOException {
        int run = 0;
        int length = text.length();
        for (int i = 0; i < length; i++) {
            char c = text.charAt(i);
            if (c >= 0x20 && c != '"' && c != '\\' && c != 0x2028 && c != 0x2029) {
                continue;
            }
            out.write(text, run, i - run);
            escape(out, c);
            run = i + 1;
        }
        out.write(text, run, length - run);
    }

    private static void escape(Writer out, char c) throws IOException {
        switch (c) {
            case '"' -> out.write("\\\"");
            case '\\' -> out.write("\\\\");
            case '\n' -> out.write("\\n");
            case '\r' -> out.write("\\r");
            case '\t' -> out.write("\\t");
            case '\b' -> out.write("\\b");
            case '\f' -> out.write("\\f");
            default -> {
                out.write("\\u");
                out.write(HEX[(c >> 12) & 0xf]);
                out.write(HEX[(c >> 8) & 0xf]);
                out.write(HEX[(c >> 4) & 0xf]);
                out.write(HEX[c & 0xf]);
            }
        }
    }
}
