package dev.tether.cli.logging.stderr;

import dev.tether.cli.logging.LogEvent;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneId;
import java.time.ZoneOffset;

/**
 * The text format, for people: the line logback writes in the server and the CLI with the pattern
 * {@code %d{yyyy-MM-dd'T'HH:mm:ss.SSSXXX} %-5level [%thread] %logger{20} - %msg%n}, then the stack trace when
 * there is one. The message is written as it is, line breaks included, as logback does.
 *
 * <p>Stateless.
 */
final class TextLogLine {

    /** The length logger names are shortened towards, as {@code %logger{20}}. */
    static final int LOGGER_CHARS = 20;
    private static final String LINE = System.lineSeparator();

    private TextLogLine() {
    }

    /** The event's line (lines, with a stack trace) in UTF-8, its time in {@code zone}. */
    static byte[] encode(LogEvent event, String shortLogger, ZoneId zone) {
        StringBuilder out = new StringBuilder(128);
        appendTime(out, event.timeMillis(), zone);
        out.append(' ').append(event.level());
        out.repeat(' ', 5 - event.level().length());
        out.append(" [").append(event.thread()).append("] ").append(shortLogger).append(" - ")
                .append(event.message()).append(LINE);
        if (event.exception() != null) {
            out.append(event.exception());
        }
        return out.toString().getBytes(StandardCharsets.UTF_8);
    }

    /**
     * {@code name} shortened as logback's {@code %logger{20}}: when it is {@value #LOGGER_CHARS} chars or longer,
     * its packages from the left become their first letter until it fits; the class name stays whole.
     */
    static String shortName(String name) {
        int lastDot = name.lastIndexOf('.');
        if (name.length() < LOGGER_CHARS || lastDot < 0) {
            return name;
        }
        int packagesWanted = Math.max(0, LOGGER_CHARS - (name.length() - lastDot));
        int toTrim = lastDot - packagesWanted;
        StringBuilder out = new StringBuilder(name.length());
        int trimmed = 0;
        boolean segmentStart = true;
        int i = 0;
        for (; i < lastDot; i++) {
            char c = name.charAt(i);
            if (c == '.') {
                if (trimmed >= toTrim) {
                    break;
                }
                out.append(c);
                segmentStart = true;
            } else if (segmentStart) {
                out.append(c);
                segmentStart = false;
            } else {
                trimmed++;
            }
        }
        return out.append(name, i, name.length()).toString();
    }

    /** {@code yyyy-MM-dd'T'HH:mm:ss.SSSXXX}: local time, then {@code Z} or the offset as {@code +hh:mm}. */
    private static void appendTime(StringBuilder out, long millis, ZoneId zone) {
        long seconds = Math.floorDiv(millis, 1000);
        ZoneOffset offset = zone.getRules().getOffset(Instant.ofEpochSecond(seconds));
        LocalDateTime time = LocalDateTime.ofEpochSecond(seconds, 0, offset);
        digits(out, time.getYear(), 4).append('-');
        digits(out, time.getMonthValue(), 2).append('-');
        digits(out, time.getDayOfMonth(), 2).append('T');
        digits(out, time.getHour(), 2).append(':');
        digits(out, time.getMinute(), 2).append(':');
        digits(out, time.getSecond(), 2).append('.');
        digits(out, (int) Math.floorMod(millis, 1000), 3);
        int offsetMinutes = offset.getTotalSeconds() / 60;
        if (offsetMinutes == 0) {
            out.append('Z');
            return;
        }
        out.append(offsetMinutes < 0 ? '-' : '+');
        digits(out, Math.abs(offsetMinutes) / 60, 2).append(':');
        digits(out, Math.abs(offsetMinutes) % 60, 2);
    }

    private static StringBuilder digits(StringBuilder out, int value, int width) {
        String text = Integer.toString(value);
        return out.repeat('0', width - text.length()).append(text);
    }
}
