package dev.tether.cli.logging.stderr;

import dev.tether.cli.logging.LogEvent;
import java.util.List;
import org.slf4j.Marker;
import org.slf4j.event.KeyValuePair;
import org.slf4j.event.Level;
import org.slf4j.event.LoggingEvent;
import org.slf4j.helpers.LegacyAbstractLogger;
import org.slf4j.helpers.MessageFormatter;
import org.slf4j.spi.LoggingEventAware;

/**
 * A logger of the agent package: events at or above its level go to its {@link StderrLoggerFactory}'s output
 * as one {@link LogEvent}. Its level is fixed when it is made. The fluent API ({@code atInfo().addKeyValue(...)})
 * reaches {@link #log(LoggingEvent)}, so key-value pairs stay apart from the message, as with logback.
 *
 * <p>Thread safe: immutable.
 */
final class StderrLogger extends LegacyAbstractLogger implements LoggingEventAware {

    private final transient StderrLoggerFactory output;
    /** The least {@link Level#toInt()} written; {@link Integer#MAX_VALUE} for none. */
    private final int threshold;
    private final String shortName;

    StderrLogger(String name, int threshold, StderrLoggerFactory output) {
        this.name = name;
        this.threshold = threshold;
        this.output = output;
        this.shortName = TextLogLine.shortName(name);
    }

    @Override
    public boolean isTraceEnabled() {
        return threshold <= Level.TRACE.toInt();
    }

    @Override
    public boolean isDebugEnabled() {
        return threshold <= Level.DEBUG.toInt();
    }

    @Override
    public boolean isInfoEnabled() {
        return threshold <= Level.INFO.toInt();
    }

    @Override
    public boolean isWarnEnabled() {
        return threshold <= Level.WARN.toInt();
    }

    @Override
    public boolean isErrorEnabled() {
        return threshold <= Level.ERROR.toInt();
    }

    @Override
    public void log(LoggingEvent event) {
        if (threshold <= event.getLevel().toInt()) {
            long time = event.getTimeStamp() > 0 ? event.getTimeStamp() : System.currentTimeMillis();
            String thread = event.getThreadName() != null ? event.getThreadName() : Thread.currentThread().getName();
            write(time, event.getLevel(), thread, event.getMessage(), event.getArgumentArray(), event.getThrowable(),
                    event.getKeyValuePairs());
        }
    }

    @Override
    protected String getFullyQualifiedCallerName() {
        return null;
    }

    @Override
    protected void handleNormalizedLoggingCall(Level level, Marker marker, String pattern, Object[] arguments,
            Throwable throwable) {
        write(System.currentTimeMillis(), level, Thread.currentThread().getName(), pattern, arguments, throwable,
                null);
    }

    /** As logback: a throwable last among the arguments is the event's throwable when none was given. */
    private void write(long time, Level level, String thread, String pattern, Object[] arguments, Throwable throwable,
            List<KeyValuePair> keyValues) {
        try {
            Throwable thrown = throwable;
            Object[] values = arguments;
            if (thrown == null && (thrown = MessageFormatter.getThrowableCandidate(arguments)) != null) {
                values = MessageFormatter.trimmedCopy(arguments);
            }
            String message = MessageFormatter.basicArrayFormat(pattern, values);
            output.write(new LogEvent(time, level.toString(), name, thread, message, output.mdc(), keyValues,
                    thrown == null ? null : StackTraceText.of(thrown)), shortName);
        } catch (RuntimeException e) {
            output.failed(name, e);
        }
    }
}
