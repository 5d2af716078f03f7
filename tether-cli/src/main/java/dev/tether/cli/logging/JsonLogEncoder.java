package dev.tether.cli.logging;

import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.IThrowableProxy;
import ch.qos.logback.classic.spi.ThrowableProxyUtil;
import ch.qos.logback.core.encoder.EncoderBase;

/**
 * Logback's encoder of the JSON format ({@code TETHER_LOG_FORMAT=json}) in the server and the CLI: each event as
 * one bounded JSON object on one line, as {@link JsonLogLine} writes it.
 *
 * <p>Thread safe: stateless between events.
 */
public final class JsonLogEncoder extends EncoderBase<ILoggingEvent> {

    @Override
    public byte[] headerBytes() {
        return null;
    }

    @Override
    public byte[] encode(ILoggingEvent event) {
        IThrowableProxy thrown = event.getThrowableProxy();
        return JsonLogLine.encode(new LogEvent(event.getTimeStamp(), event.getLevel().toString(),
                event.getLoggerName(), event.getThreadName(), event.getFormattedMessage(),
                event.getMDCPropertyMap(), event.getKeyValuePairs(),
                thrown == null ? null : ThrowableProxyUtil.asString(thrown)));
    }

    @Override
    public byte[] footerBytes() {
        return null;
    }
}
