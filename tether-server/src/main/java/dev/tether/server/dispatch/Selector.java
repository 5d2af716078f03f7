package dev.tether.server.dispatch;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * A label selector: comma-separated terms that must all match an agent's
 * server-assigned labels. Terms: {@code key=value}, {@code key!=value} (absent
 * or different), {@code key} (present) and {@code !key} (absent). Spaces around
 * a term are ignored; keys follow the label key rules; values may be empty and
 * contain anything but {@code ,}, {@code =} and control characters.
 *
 * <p>{@link #parse} reports the first error with its 1-based character position.
 * Immutable.
 */
public record Selector(String text, List<Term> terms) {

    /** Longest selector accepted. */
    public static final int MAX_LENGTH = 1024;
    private static final Pattern KEY = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._/-]{0,62}");

    public Selector {
        terms = List.copyOf(terms);
    }

    /** How a term compares. */
    public enum Op { EQUALS, NOT_EQUALS, EXISTS, ABSENT }

    public record Term(String key, Op op, String value) {

        boolean matches(Map<String, String> labels) {
            String actual = labels.get(key);
            return switch (op) {
                case EQUALS -> value.equals(actual);
                case NOT_EQUALS -> !value.equals(actual);
                case EXISTS -> actual != null;
                case ABSENT -> actual == null;
            };
        }
    }

    public boolean matches(Map<String, String> labels) {
        return terms.stream().allMatch(term -> term.matches(labels));
    }

    /**
     * @throws IllegalArgumentException naming the problem and its position
     */
    public static Selector parse(String text) {
        if (text == null || text.isBlank()) {
            throw new IllegalArgumentException("the selector is empty: write terms such as env=prod,role=db");
        }
        if (text.length() > MAX_LENGTH) {
            throw new IllegalArgumentException("the selector is longer than " + MAX_LENGTH + " characters");
        }
        List<Term> terms = new ArrayList<>();
        int start = 0;
        while (start <= text.length()) {
            int comma = text.indexOf(',', start);
            int end = comma < 0 ? text.length() : comma;
            terms.add(term(text, start, end));
            start = end + 1;
        }
        return new Selector(text, terms);
    }

    private static Term term(String text, int from, int to) {
        int start = from;
        int end = to;
        while (start < end && text.charAt(start) == ' ') {
            start++;
        }
        while (end > start && text.charAt(end - 1) == ' ') {
            end--;
        }
        if (start == end) {
            throw error(text, from, "expected a term (key, !key, key=value or key!=value)");
        }
        if (text.startsWith("!=", start)) {
            throw error(text, start, "expected a label key before '!='");
        }
        if (text.charAt(start) == '!') {
            String key = key(text, start + 1, end);
            return new Term(key, Op.ABSENT, null);
        }
        int equals = text.indexOf('=', start);
        if (equals < 0 || equals >= end) {
            return new Term(key(text, start, end), Op.EXISTS, null);
        }
        boolean negated = equals > start && text.charAt(equals - 1) == '!';
        String key = key(text, start, negated ? equals - 1 : equals);
        return new Term(key, negated ? Op.NOT_EQUALS : Op.EQUALS, value(text, equals + 1, end));
    }

    private static String key(String text, int start, int end) {
        if (start == end) {
            throw error(text, start, "expected a label key");
        }
        for (int i = start; i < end; i++) {
            char c = text.charAt(i);
            boolean allowed = Character.isLetterOrDigit(c) && c < 128
                    || (i > start && (c == '.' || c == '_' || c == '/' || c == '-'));
            if (!allowed) {
                throw error(text, i, c == '!' || c == '='
                        ? "unexpected '" + c + "': '!' goes before a key (!key) or before '=' (key!=value)"
                        : "invalid character '" + printable(c) + "' in a label key (allowed: A-Z a-z 0-9 . _ / -,"
                                + " starting with a letter or digit)");
            }
        }
        String key = text.substring(start, end);
        if (!KEY.matcher(key).matches()) {
            throw error(text, start, "a label key is at most 63 characters");
        }
        return key;
    }

    private static String value(String text, int start, int end) {
        for (int i = start; i < end; i++) {
            char c = text.charAt(i);
            if (c == '=' || Character.isISOControl(c)) {
                throw error(text, i, "unexpected '" + printable(c) + "' in a value");
            }
        }
        return text.substring(start, end);
    }

    private static String printable(char c) {
        return Character.isISOControl(c) ? String.format("\\u%04x", (int) c) : String.valueOf(c);
    }

    private static IllegalArgumentException error(String text, int index, String problem) {
        return new IllegalArgumentException("invalid selector at position " + (index + 1) + ": " + problem
                + " in '" + text + "'");
    }
}
