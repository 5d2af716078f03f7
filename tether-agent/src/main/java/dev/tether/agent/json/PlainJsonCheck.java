package dev.tether.agent.json;

import java.util.Arrays;

/**
 * A quick check of the JSON most events carry: at most {@link #MAX_BYTES} of ASCII, names without escapes, at
 * most {@link #MAX_DEPTH} deep, numbers of at most {@link #MAX_NUMBER_LENGTH} characters, at most
 * {@link #MAX_NAMES} names in one object. It answers only "certainly well-formed" (exactly one
 * value, strict RFC 8259 grammar, no name twice in one object: what {@link Json#problem} accepts) or "not sure";
 * for anything it is not sure of, Jackson decides and says what is wrong. Creating a Jackson parser for each
 * event was about 4 % of the agent's CPU under sixteen publishers; this walks the bytes once.
 *
 * <p>Not sure, on purpose, of: any byte above 0x7F (UTF-8 is left to Jackson), escapes of the form
 * backslash-u, names with any escape (so that a name given twice is found by comparing bytes), and anything past
 * the bounds above, which keep it well inside Jackson's own limits (names of 50,000 characters, numbers of 1,000,
 * nesting of 1,000). Stateless; thread safe.
 */
final class PlainJsonCheck {

    /** Documents this check reads; longer ones go to Jackson. */
    static final int MAX_BYTES = 8 * 1024;
    /** Nesting this check follows; deeper documents go to Jackson. */
    static final int MAX_DEPTH = 32;
    /** Characters of a number this check reads; longer ones go to Jackson. */
    static final int MAX_NUMBER_LENGTH = 64;
    /** Names of one object this check compares for duplicates; objects with more go to Jackson. */
    static final int MAX_NAMES = 32;

    private PlainJsonCheck() {
    }

    /** True only when {@code utf8} is certainly exactly one well-formed JSON value; false when not sure. */
    static boolean wellFormed(byte[] utf8) {
        if (utf8.length > MAX_BYTES) {
            return false;
        }
        Walk walk = new Walk(utf8);
        int end = walk.value(walk.skipSpace(0), 0);
        return end >= 0 && walk.skipSpace(end) == utf8.length;
    }

    /** One pass over one document; each method returns the offset after what it read, or -1 when not sure. */
    private static final class Walk {

        private final byte[] in;

        Walk(byte[] in) {
            this.in = in;
        }

        int skipSpace(int at) {
            while (at < in.length && (in[at] == ' ' || in[at] == '\n' || in[at] == '\r' || in[at] == '\t')) {
                at++;
            }
            return at;
        }

        int value(int at, int depth) {
            if (at >= in.length) {
                return -1;
            }
            return switch (in[at]) {
                case '{' -> depth < MAX_DEPTH ? object(at + 1, depth + 1) : -1;
                case '[' -> depth < MAX_DEPTH ? array(at + 1, depth + 1) : -1;
                case '"' -> string(at + 1, true);
                case 't' -> literal(at, "true");
                case 'f' -> literal(at, "false");
                case 'n' -> literal(at, "null");
                default -> number(at);
            };
        }

        private int object(int at, int depth) {
            at = skipSpace(at);
            if (at < in.length && in[at] == '}') {
                return at + 1;
            }
            // Start and end offsets of the names read so far, to find one given twice.
            int[] names = new int[2 * MAX_NAMES];
            int count = 0;
            while (true) {
                if (at >= in.length || in[at] != '"' || count == MAX_NAMES) {
                    return -1;
                }
                int nameEnd = string(at + 1, false);
                if (nameEnd < 0 || seenBefore(names, count, at + 1, nameEnd - 1)) {
                    return -1;
                }
                names[2 * count] = at + 1;
                names[2 * count + 1] = nameEnd - 1;
                count++;
                at = skipSpace(nameEnd);
                if (at >= in.length || in[at] != ':') {
                    return -1;
                }
                at = value(skipSpace(at + 1), depth);
                if (at < 0) {
                    return -1;
                }
                at = skipSpace(at);
                if (at >= in.length) {
                    return -1;
                }
                if (in[at] == '}') {
                    return at + 1;
                }
                if (in[at] != ',') {
                    return -1;
                }
                at = skipSpace(at + 1);
            }
        }

        private boolean seenBefore(int[] names, int count, int from, int to) {
            for (int i = 0; i < count; i++) {
                if (Arrays.equals(in, names[2 * i], names[2 * i + 1], in, from, to)) {
                    return true;
                }
            }
            return false;
        }

        private int array(int at, int depth) {
            at = skipSpace(at);
            if (at < in.length && in[at] == ']') {
                return at + 1;
            }
            while (true) {
                at = value(at, depth);
                if (at < 0) {
                    return -1;
                }
                at = skipSpace(at);
                if (at >= in.length) {
                    return -1;
                }
                if (in[at] == ']') {
                    return at + 1;
                }
                if (in[at] != ',') {
                    return -1;
                }
                at = skipSpace(at + 1);
            }
        }

        /** From after the opening quote; escapes only in values ({@code escapes}), and never backslash-u. */
        private int string(int at, boolean escapes) {
            while (at < in.length) {
                byte b = in[at];
                if (b == '"') {
                    return at + 1;
                }
                if (b < 0x20) {
                    // A control character unescaped, or (negative) a byte above 0x7F.
                    return -1;
                }
                if (b == '\\') {
                    if (!escapes || at + 1 >= in.length || !simpleEscape(in[at + 1])) {
                        return -1;
                    }
                    at += 2;
                } else {
                    at++;
                }
            }
            return -1;
        }

        private static boolean simpleEscape(byte b) {
            return b == '"' || b == '\\' || b == '/' || b == 'b' || b == 'f' || b == 'n' || b == 'r' || b == 't';
        }

        private int literal(int at, String word) {
            int end = at + word.length();
            if (end > in.length) {
                return -1;
            }
            for (int i = 0; i < word.length(); i++) {
                if (in[at + i] != word.charAt(i)) {
                    return -1;
                }
            }
            return delimited(end) ? end : -1;
        }

        /** {@code -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?}, then a delimiter. */
        private int number(int at) {
            int start = at;
            if (at < in.length && in[at] == '-') {
                at++;
            }
            if (at >= in.length || !digit(in[at])) {
                return -1;
            }
            at = in[at] == '0' ? at + 1 : digits(at);
            if (at < in.length && in[at] == '.') {
                int fraction = digits(at + 1);
                if (fraction == at + 1) {
                    return -1;
                }
                at = fraction;
            }
            if (at < in.length && (in[at] == 'e' || in[at] == 'E')) {
                at++;
                if (at < in.length && (in[at] == '+' || in[at] == '-')) {
                    at++;
                }
                int exponent = digits(at);
                if (exponent == at) {
                    return -1;
                }
                at = exponent;
            }
            return at - start <= MAX_NUMBER_LENGTH && delimited(at) ? at : -1;
        }

        private int digits(int at) {
            while (at < in.length && digit(in[at])) {
                at++;
            }
            return at;
        }

        private static boolean digit(byte b) {
            return b >= '0' && b <= '9';
        }

        /** What may follow a number or a literal: the end, white space, or a structural character. */
        private boolean delimited(int at) {
            if (at >= in.length) {
                return true;
            }
            byte b = in[at];
            return b == ',' || b == '}' || b == ']' || b == ' ' || b == '\n' || b == '\r' || b == '\t';
        }
    }
}
