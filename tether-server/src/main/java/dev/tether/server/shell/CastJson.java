package dev.tether.server.shell;

import java.util.Arrays;
import java.util.Locale;

/**
 * Writes asciicast event lines, {@code [seconds, "kind", "text"]}, as UTF-8
 * bytes into a reusable {@link Line}: the text is escaped as a JSON string and
 * encoded in one pass over its characters, with no intermediate JSON tree,
 * {@code Writer}, {@code String} or charset encoder. The output of a flooding
 * shell passes through here, 32 KiB at a time, so it matters: a chunk of
 * control characters (a flood of NULs) becomes six bytes per character.
 * Stateless.
 */
final class CastJson {

    private static final byte[] HEX = "0123456789abcdef".getBytes(java.nio.charset.StandardCharsets.US_ASCII);

    private CastJson() {
    }

    /** One event line, ending with a newline, written over whatever {@code out} held. */
    static void event(Line out, double seconds, String kind, String text) {
        start(out, seconds, kind);
        string(out, text);
        out.ascii("\"]\n");
    }

    /**
     * The event line of {@code text} when it is ASCII, written from its bytes without decoding them (most terminal
     * output is: the UTF-8 decoding of ASCII is itself); false, and {@code out} holds nothing, when it is not.
     */
    static boolean asciiEvent(Line out, double seconds, String kind, byte[] text) {
        start(out, seconds, kind);
        out.ensure(text.length);
        for (int i = 0; i < text.length; i++) {
            byte b = text[i];
            if (b < 0) {
                out.size = 0;
                return false;
            }
            if (b >= 0x20 && b != '"' && b != '\\') {
                out.bytes[out.size++] = b;
            } else {
                escape(out, (char) b, text.length - i - 1);
            }
        }
        out.ascii("\"]\n");
        return true;
    }

    private static void start(Line out, double seconds, String kind) {
        out.size = 0;
        out.ascii("[");
        out.ascii(String.format(Locale.ROOT, "%.6f", seconds));
        out.ascii(",\"");
        string(out, kind);
        out.ascii("\",\"");
    }

    /**
     * The JSON string body of {@code text} (without the quotes) in UTF-8; a lone surrogate becomes {@code ?}, as
     * {@link String#getBytes} makes it.
     */
    static void string(Line out, String text) {
        int length = text.length();
        out.ensure(length * 3);
        char[] chars = out.chars(length);
        text.getChars(0, length, chars, 0);
        for (int i = 0; i < length; i++) {
            char c = chars[i];
            if (c < 0x80) {
                if (c >= 0x20 && c != '"' && c != '\\') {
                    out.bytes[out.size++] = (byte) c;
                } else {
                    escape(out, c, (length - i - 1) * 3);
                }
            } else if (c < 0x800) {
                out.bytes[out.size++] = (byte) (0xc0 | c >> 6);
                out.bytes[out.size++] = (byte) (0x80 | c & 0x3f);
            } else if (c == 0x2028 || c == 0x2029) {
                // Valid JSON, but not valid JavaScript source: escaped for players that eval.
                escape(out, c, (length - i - 1) * 3);
            } else if (Character.isHighSurrogate(c) && i + 1 < length && Character.isLowSurrogate(chars[i + 1])) {
                int cp = Character.toCodePoint(c, chars[++i]);
                out.bytes[out.size++] = (byte) (0xf0 | cp >> 18);
                out.bytes[out.size++] = (byte) (0x80 | cp >> 12 & 0x3f);
                out.bytes[out.size++] = (byte) (0x80 | cp >> 6 & 0x3f);
                out.bytes[out.size++] = (byte) (0x80 | cp & 0x3f);
            } else if (Character.isSurrogate(c)) {
                out.bytes[out.size++] = '?';
            } else {
                out.bytes[out.size++] = (byte) (0xe0 | c >> 12);
                out.bytes[out.size++] = (byte) (0x80 | c >> 6 & 0x3f);
                out.bytes[out.size++] = (byte) (0x80 | c & 0x3f);
            }
        }
    }

    /**
     * @param rest the most bytes the rest of the text can take unescaped: an escape takes more than the one
     *     to three bytes reserved for its character, so the room for the rest is checked again here
     */
    private static void escape(Line out, char c, int rest) {
        out.ensure(6 + rest);
        switch (c) {
            case '"' -> out.ascii("\\\"");
            case '\\' -> out.ascii("\\\\");
            case '\n' -> out.ascii("\\n");
            case '\r' -> out.ascii("\\r");
            case '\t' -> out.ascii("\\t");
            case '\b' -> out.ascii("\\b");
            case '\f' -> out.ascii("\\f");
            default -> {
                out.ascii("\\u");
                out.bytes[out.size++] = HEX[(c >> 12) & 0xf];
                out.bytes[out.size++] = HEX[(c >> 8) & 0xf];
                out.bytes[out.size++] = HEX[(c >> 4) & 0xf];
                out.bytes[out.size++] = HEX[c & 0xf];
            }
        }
    }

    /**
     * A growable byte array holding one line, kept and reused by its one writer: after a 32 KiB chunk it holds
     * enough for the next. Not thread safe.
     */
    static final class Line {

        private byte[] bytes = new byte[256];
        private int size;
        /** The characters of the text being escaped (indexing a String costs a check per character). */
        private char[] chars = new char[256];

        byte[] bytes() {
            return bytes;
        }

        int size() {
            return size;
        }

        private char[] chars(int length) {
            if (chars.length < length) {
                chars = new char[Math.max(length, chars.length * 2)];
            }
            return chars;
        }

        /** Room for {@code more} bytes past the end, at least; the escapes of a character take up to six. */
        private void ensure(int more) {
            if (bytes.length - size < more + 6) {
                bytes = Arrays.copyOf(bytes, Math.max(bytes.length * 2, size + more + 6));
            }
        }

        private void ascii(String text) {
            ensure(text.length());
            for (int i = 0; i < text.length(); i++) {
                bytes[size++] = (byte) text.charAt(i);
            }
        }
    }
}
