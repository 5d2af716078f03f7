package dev.tether.cli.logging.stderr;

import dev.tether.cli.logging.LogSettings;
import java.time.ZoneId;
import org.slf4j.ILoggerFactory;
import org.slf4j.IMarkerFactory;
import org.slf4j.helpers.BasicMDCAdapter;
import org.slf4j.helpers.BasicMarkerFactory;
import org.slf4j.spi.MDCAdapter;
import org.slf4j.spi.SLF4JServiceProvider;

/**
 * The agent package's SLF4J provider (registered in that package's jar, {@code tether-agent-dist}, through
 * {@code META-INF/services}): the lines Tether's logback configuration writes in the server and the CLI, in both
 * formats and at the same levels ({@link StderrLoggerFactory}), without logback. Logback and its configurator
 * load some 230 classes into an agent that logs a few lines an hour; this provider loads a handful. The server
 * and the CLI keep logback (its appenders, and {@code -Dlogback.configurationFile}).
 *
 * <p>SLF4J makes one, asks for its MDC, calls {@link #initialize} once, then only reads it.
 */
public final class StderrLoggingProvider implements SLF4JServiceProvider {

    private final MDCAdapter mdc = new BasicMDCAdapter();
    private final IMarkerFactory markers = new BasicMarkerFactory();
    /** Set by {@link #initialize}. */
    private StderrLoggerFactory loggers;

    @Override
    public void initialize() {
        loggers = new StderrLoggerFactory(System.getenv(), System.getProperty(LogSettings.ACCESS_LEVEL_PROPERTY),
                ZoneId.systemDefault(), () -> System.err, mdc);
    }

    @Override
    public ILoggerFactory getLoggerFactory() {
        return loggers;
    }

    @Override
    public IMarkerFactory getMarkerFactory() {
        return markers;
    }

    @Override
    public MDCAdapter getMDCAdapter() {
        return mdc;
    }

    @Override
    public String getRequestedApiVersion() {
        return "2.0.99";
    }
}
