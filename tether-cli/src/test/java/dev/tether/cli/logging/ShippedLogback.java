package dev.tether.cli.logging;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.Configurator;
import ch.qos.logback.core.status.Status;
import org.slf4j.LoggerFactory;

/**
 * Test fixture: a logback context configured as the shipped {@link TetherLogConfigurator} configures the server's
 * and the CLI's, writing to {@code System.err}; the reference the agent package's own provider is held to.
 */
public final class ShippedLogback {

    private ShippedLogback() {
    }

    /**
     * As if {@code TETHER_LOG_FORMAT} were {@code format} and {@code TETHER_LOG_LEVEL} {@code level} (null: unset);
     * fails on any complaint of logback's.
     */
    public static LoggerContext configured(String format, String level) {
        LoggerContext context = new LoggerContext();
        // The MDC that org.slf4j.MDC writes to.
        context.setMDCAdapter(((LoggerContext) LoggerFactory.getILoggerFactory()).getMDCAdapter());
        context.start();
        if (format != null) {
            context.putProperty(LogSettings.FORMAT_ENV, format);
        }
        if (level != null) {
            context.putProperty(LogSettings.LEVEL_ENV, level);
        }
        TetherLogConfigurator configurator = new TetherLogConfigurator();
        configurator.setContext(context);
        assertThat(configurator.configure(context)).isEqualTo(Configurator.ExecutionStatus.DO_NOT_INVOKE_NEXT_IF_ANY);
        assertThat(context.getStatusManager().getCopyOfStatusList()).as("logback's complaints")
                .allMatch(status -> status.getLevel() == Status.INFO);
        return context;
    }
}
