package dev.tether.cli.logging;

import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.encoder.Encoder;
import ch.qos.logback.core.encoder.EncoderBase;

/**
 * The encoder of the shipped configuration ({@link TetherLogConfigurator}): the human {@code pattern} for the format {@code text}, one JSON object
 * a line ({@link JsonLogEncoder}) for {@code json}. One appender with this encoder, rather than an appender per
 * format picked by name, because logback reports an appender nobody references on the console at every start.
 * A format it does not know is reported as a logback error and falls back to text ({@link LogSettings} refuses
 * such a value before logging starts).
 *
 * <p>Configured, then started, by the configurator; thread safe once started (as its delegate is).
 */
public final class FormatEncoder extends EncoderBase<ILoggingEvent> {

    /** Set by logback before {@link #start}. */
    private String format = "text";
    private String pattern;
    /** Set by {@link #start}. */
    private Encoder<ILoggingEvent> delegate;

    public void setFormat(String format) {
        this.format = format;
    }

    public void setPattern(String pattern) {
        this.pattern = pattern;
    }

    @Override
    public void start() {
        if ("json".equals(format)) {
            delegate = new JsonLogEncoder();
        } else {
            // An empty TETHER_LOG_FORMAT reaches here as "" (logback's :- default is for an unset variable only).
            if (!"text".equals(format) && !format.isEmpty()) {
                addError("unknown log format '" + format + "': use text or json; writing text");
            }
            PatternLayoutEncoder text = new PatternLayoutEncoder();
            text.setPattern(pattern);
            delegate = text;
        }
        delegate.setContext(getContext());
        delegate.start();
        super.start();
    }

    @Override
    public void stop() {
        if (delegate != null) {
            delegate.stop();
        }
        super.stop();
    }

    @Override
    public byte[] headerBytes() {
        return delegate.headerBytes();
    }

    @Override
    public byte[] encode(ILoggingEvent event) {
        return delegate.encode(event);
    }

    @Override
    public byte[] footerBytes() {
        return delegate.footerBytes();
    }
}
