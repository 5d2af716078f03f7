package dev.tether.cli.logging;

import java.util.List;
import java.util.Map;
import org.slf4j.event.KeyValuePair;

/**
 * One log event as Tether's formats write it, whichever logging library made it: logback in the server and the CLI
 * ({@link JsonLogEncoder}), the agent package's own provider ({@code logging.stderr}).
 *
 * @param timeMillis when it was logged, in milliseconds since the epoch
 * @param level {@code TRACE}, {@code DEBUG}, {@code INFO}, {@code WARN} or {@code ERROR}
 * @param message the message with its arguments in place
 * @param mdc the MDC at the time, null or empty when there is none
 * @param keyValues the event's key-value pairs, null or empty when there are none
 * @param exception the stack trace in logback's layout, causes included; null when none
 */
public record LogEvent(long timeMillis, String level, String logger, String thread, String message,
        Map<String, String> mdc, List<KeyValuePair> keyValues, String exception) {
}
