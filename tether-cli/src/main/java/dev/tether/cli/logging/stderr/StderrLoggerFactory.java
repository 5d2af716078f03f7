package dev.tether.cli.logging.stderr;

import dev.tether.cli.logging.JsonLogLine;
import dev.tether.cli.logging.LogEvent;
import dev.tether.cli.logging.LogSettings;
import java.io.PrintStream;
import java.time.ZoneId;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.function.Supplier;
import org.slf4j.ILoggerFactory;
import org.slf4j.Logger;
import org.slf4j.event.Level;
import org.slf4j.spi.MDCAdapter;

/**
 * The agent package's loggers and where they write: each event as one write of its whole line (lines, with a
 * stack trace) on stderr, in the format of {@code TETHER_LOG_FORMAT} ({@link TextLogLine}, or {@link JsonLogLine}
 * for {@code json}). The levels are those of the server's logback configuration: Tether's loggers
 * ({@code dev.tether} and below) at {@code TETHER_LOG_LEVEL} (default INFO), {@code tether.access} at the level
 * {@link LogSettings#apply} put in {@value LogSettings#ACCESS_LEVEL_PROPERTY}, every other logger (the
 * libraries) at WARN. The settings are read once, when the factory is made; {@link LogSettings} has refused
 * bad values before.
 *
 * <p>Thread safe. A line is one {@link PrintStream#write(byte[], int, int)}, so lines of different threads never
 * mix; the stream is looked up at each write, so {@link System#setErr} takes effect.
 */
final class StderrLoggerFactory implements ILoggerFactory {

    private static final String TETHER = "dev.tether";
    private static final String ACCESS = "tether.access";
    private static final int OFF = Integer.MAX_VALUE;

    private final ConcurrentMap<String, Logger> loggers = new ConcurrentHashMap<>();
    private final MDCAdapter mdc;
    private final boolean json;
    private final int tetherThreshold;
    private final int accessThreshold;
    private final ZoneId zone;
    private final Supplier<PrintStream> err;

    /**
     * Settings from {@code env} ({@code TETHER_LOG_*}) and {@code accessLevel}, lines to {@code err}, the MDC of each
     * event from {@code mdc}.
     */
    StderrLoggerFactory(Map<String, String> env, String accessLevel, ZoneId zone, Supplier<PrintStream> err,
            MDCAdapter mdc) {
        this.json = "json".equals(strip(env.get(LogSettings.FORMAT_ENV)));
        this.tetherThreshold = threshold(strip(env.get(LogSettings.LEVEL_ENV)));
        this.accessThreshold = threshold(accessLevel);
        this.zone = zone;
        this.err = err;
        this.mdc = mdc;
    }

    @Override
    public Logger getLogger(String name) {
        return loggers.computeIfAbsent(name, key -> new StderrLogger(key, thresholdOf(key), this));
    }

    /** The MDC of the calling thread, null when empty. */
    Map<String, String> mdc() {
        return mdc.getCopyOfContextMap();
    }

    void write(LogEvent event, String shortLogger) {
        byte[] line = json ? JsonLogLine.encode(event) : TextLogLine.encode(event, shortLogger, zone);
        PrintStream stream = err.get();
        stream.write(line, 0, line.length);
        stream.flush();
    }

    /** As logback's appenders: an event that cannot be written is reported, never thrown at the code that logs. */
    void failed(String logger, RuntimeException failure) {
        err.get().println("tether: a log event of " + logger + " could not be written: " + failure);
    }

    private int thresholdOf(String logger) {
        if (within(logger, TETHER)) {
            return tetherThreshold;
        }
        return within(logger, ACCESS) ? accessThreshold : Level.WARN.toInt();
    }

    private static boolean within(String logger, String parent) {
        return logger.startsWith(parent) && (logger.length() == parent.length()
                || logger.charAt(parent.length()) == '.');
    }

    /** A level's threshold; INFO when unset, empty or not a level (as logback's {@code Level.toLevel}). */
    private static int threshold(String level) {
        return switch (level == null ? "" : level.toUpperCase(Locale.ROOT)) {
            case "TRACE" -> Level.TRACE.toInt();
            case "DEBUG" -> Level.DEBUG.toInt();
            case "WARN" -> Level.WARN.toInt();
            case "ERROR" -> Level.ERROR.toInt();
            case "OFF" -> OFF;
            default -> Level.INFO.toInt();
        };
    }

    private static String strip(String value) {
        return value == null ? null : value.strip();
    }
}
