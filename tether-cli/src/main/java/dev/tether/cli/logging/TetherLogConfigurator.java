package dev.tether.cli.logging;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.Configurator;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.ConsoleAppender;
import ch.qos.logback.core.spi.ContextAwareBase;
import java.util.Map;

/**
 * Tether's logging, set up in code when logback starts (found through {@code META-INF/services}): everything to
 * stderr, so that command output on stdout stays clean for scripts, as text or as one JSON object a line
 * ({@code TETHER_LOG_FORMAT}, checked by {@link LogSettings} before anything logs); Tether's own loggers at
 * {@code TETHER_LOG_LEVEL} (default INFO), the access log {@code tether.access} at INFO unless
 * {@code TETHER_ACCESS_LOG=off}, the libraries at WARN.
 *
 * <p>In code rather than in a {@code logback.xml}: reading XML made logback load an XML parser and some 400
 * classes more, about a tenth of a second of every start, the agent's too. A configuration of your own still
 * wins: with {@code -Dlogback.configurationFile=FILE} logback reads that file instead.
 */
public final class TetherLogConfigurator extends ContextAwareBase implements Configurator {

    static final String PATTERN = "%d{yyyy-MM-dd'T'HH:mm:ss.SSSXXX} %-5level [%thread] %logger{20} - %msg%n";
    private static final Map<String, Level> LIBRARIES = Map.of("io.netty", Level.WARN, "io.vertx", Level.WARN,
            "org.flywaydb", Level.WARN, "com.zaxxer.hikari", Level.WARN);

    @Override
    public ExecutionStatus configure(LoggerContext context) {
        if (System.getProperty("logback.configurationFile") != null) {
            return ExecutionStatus.INVOKE_NEXT_IF_ANY;
        }
        FormatEncoder encoder = new FormatEncoder();
        encoder.setContext(context);
        String format = setting(context, LogSettings.FORMAT_ENV);
        encoder.setFormat(format == null ? "text" : format.strip());
        encoder.setPattern(PATTERN);
        encoder.start();
        ConsoleAppender<ILoggingEvent> stderr = new ConsoleAppender<>();
        stderr.setContext(context);
        stderr.setName("STDERR");
        stderr.setTarget("System.err");
        stderr.setEncoder(encoder);
        stderr.start();

        Logger root = context.getLogger(Logger.ROOT_LOGGER_NAME);
        root.setLevel(Level.WARN);
        root.addAppender(stderr);
        String level = setting(context, LogSettings.LEVEL_ENV);
        context.getLogger("dev.tether").setLevel(Level.toLevel(level == null ? null : level.strip(), Level.INFO));
        context.getLogger("tether.access").setLevel(
                Level.toLevel(System.getProperty(LogSettings.ACCESS_LEVEL_PROPERTY), Level.INFO));
        LIBRARIES.forEach((name, libraryLevel) -> context.getLogger(name).setLevel(libraryLevel));
        return ExecutionStatus.DO_NOT_INVOKE_NEXT_IF_ANY;
    }

    /** A property of the context (tests set them), else the environment variable. */
    private static String setting(LoggerContext context, String name) {
        String value = context.getProperty(name);
        return value != null ? value : System.getenv(name);
    }
}
