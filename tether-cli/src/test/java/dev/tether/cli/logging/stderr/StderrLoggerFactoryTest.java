package dev.tether.cli.logging.stderr;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.LoggerContext;
import dev.tether.cli.logging.LogSettings;
import dev.tether.cli.logging.ShippedLogback;
import io.vertx.core.json.JsonObject;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.MDC;
import org.slf4j.event.DefaultLoggingEvent;
import org.slf4j.event.Level;
import org.slf4j.helpers.BasicMDCAdapter;
import org.slf4j.spi.LoggingEventAware;
import org.slf4j.spi.MDCAdapter;

/**
 * The agent package's loggers write what the server's logback configuration writes: the same text lines, the same
 * JSON objects, at the same levels; checked line by line against logback configured by {@code TetherLogConfigurator}.
 */
class StderrLoggerFactoryTest {

    private static final String HOSTILE = "say \"hi\"\\ then\nforged {\"level\":\"ERROR\"}\r\n\ttab \u0000nul "
            + "\u0001\u001f\u007f bell\u0007 \u2028sep é 日本 \uD83D\uDE00 end";
    private static final String TIME = "\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}(Z|[+-]\\d\\d:\\d\\d)";
    private static final List<String> LOGGERS = List.of("dev.tether.agent.connection.ConnectionManager",
            "dev.tether.agent.Agent", "dev.tether.X", "Plain", "tether.access", "a.b.c.d.e.f.g.h.i.j.k.l.m.N",
            "dev.tether.agent.AVeryLongClassNameThatIsLongerThanTwentyChars", "org.sqlite.core.NativeDB",
            "dev..tether.Odd", "dev.tether.");

    private final ByteArrayOutputStream err = new ByteArrayOutputStream();
    private final BasicMDCAdapter mdc = new BasicMDCAdapter();
    private PrintStream realErr;

    @BeforeEach
    void captureStderr() {
        realErr = System.err;
        System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
    }

    @AfterEach
    void restoreStderr() {
        System.setErr(realErr);
        MDC.clear();
    }

    @Test
    void theTextLinesAreLogbacksWhateverTheLoggerNameMessageOrException() {
        Throwable failure = failure();
        Throwable lone = new IllegalArgumentException();
        IllegalStateException cyclic = new IllegalStateException("one");
        IllegalStateException other = new IllegalStateException("two", cyclic);
        cyclic.initCause(other);
        for (String name : LOGGERS) {
            assertSameLines("text", null, name, logger -> {
                logger.warn("a {} message with {} args", "WARN", 2);
                logger.error(HOSTILE, failure);
                logger.warn("the last argument {} is the throwable", "here", failure);
                logger.warn("a lone throwable argument {}", (Object) lone);
                logger.warn("a cycle of causes", other);
                logger.atWarn().addKeyValue("status", 404).log("key-value pairs stay out of the text");
            });
        }
    }

    @Test
    void theJsonLinesAreLogbacksWithTheMdcAndKeyValuePairs() {
        StderrLoggerFactory ours = factory(Map.of(LogSettings.FORMAT_ENV, "json"));
        mdc.put("request_id", "req-1");
        MDC.put("request_id", "req-1");
        Throwable failure = failure();
        Consumer<Logger> logs = logger -> {
            logger.atWarn().addKeyValue("status", 404).addKeyValue("path", "/a\"b\nc").log(HOSTILE);
            logger.error("it failed", failure);
        };
        logs.accept(ShippedLogback.configured("json", null).getLogger("dev.tether.agent.Agent"));
        List<JsonObject> logback = jsonLines();
        logs.accept(ours.getLogger("dev.tether.agent.Agent"));
        List<JsonObject> agent = jsonLines();

        assertThat(agent).hasSize(2);
        for (int i = 0; i < agent.size(); i++) {
            assertThat(Instant.parse(agent.get(i).getString("time"))).isBeforeOrEqualTo(Instant.now());
            assertThat(agent.get(i).copy().put("time", "")).isEqualTo(logback.get(i).copy().put("time", ""));
        }
        assertThat(agent.getFirst().getString("message")).isEqualTo(HOSTILE);
        assertThat(agent.get(1).getString("exception"))
                .contains("Caused by: java.io.IOException: inner\u0000cause", "common frames omitted",
                        "\tSuppressed: java.lang.IllegalStateException: suppressed");
    }

    @Test
    void tetherLogsAtItsLevelAndTheLibrariesAtWarn() {
        for (String level : List.of("debug", "WARN", "off", "")) {
            assertSameLines("text", level, null, null);
        }
    }

    @Test
    void theAccessLogFollowsItsSetting() {
        Logger access = new StderrLoggerFactory(Map.of(), "OFF", ZoneId.systemDefault(), () -> System.err, mdc)
                .getLogger("tether.access");
        access.info("GET /healthz");
        access.error("dropped too");

        assertThat(err.toString(StandardCharsets.UTF_8)).isEmpty();
        assertThat(factory(Map.of()).getLogger("tether.access").isInfoEnabled()).isTrue();
    }

    @Test
    void theTimeIsLocalWithItsOffsetToTheMillisecond() {
        long time = 1_765_000_000_123L;
        for (String zone : List.of("UTC", "Asia/Kolkata", "America/St_Johns", "Europe/Paris")) {
            err.reset();
            Logger logger = new StderrLoggerFactory(Map.of(), null, ZoneId.of(zone), () -> System.err, mdc)
                    .getLogger("dev.tether.Clock");
            DefaultLoggingEvent event = new DefaultLoggingEvent(Level.INFO, logger);
            event.setTimeStamp(time);
            event.setMessage("tick");
            ((LoggingEventAware) logger).log(event);

            String expected = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSSXXX").withZone(ZoneId.of(zone))
                    .format(Instant.ofEpochMilli(time));
            assertThat(err.toString(StandardCharsets.UTF_8)).as(zone)
                    .isEqualTo(expected + " INFO  [" + Thread.currentThread().getName() + "] dev.tether.Clock - tick"
                            + System.lineSeparator());
        }
    }

    @Test
    void aThrowableThatCannotDescribeItselfIsReportedNotThrownAtTheCaller() {
        Logger logger = factory(Map.of()).getLogger("dev.tether.Broken");
        logger.error("it failed", new IllegalStateException() {
            @Override
            public String getMessage() {
                throw new UnsupportedOperationException("no message");
            }
        });
        logger.info("still logging");

        assertThat(err.toString(StandardCharsets.UTF_8).lines().toList()).hasSize(2)
                .first().asString().contains("a log event of dev.tether.Broken could not be written",
                        "UnsupportedOperationException: no message");
    }

    @Test
    void theProviderServesItsMdcBeforeItIsInitializedAsSlf4jAsksForIt() {
        StderrLoggingProvider provider = new StderrLoggingProvider();
        MDCAdapter early = provider.getMDCAdapter();
        provider.initialize();

        assertThat(provider.getLoggerFactory().getLogger("dev.tether.Any")).isInstanceOf(StderrLogger.class);
        early.put("k", "v");
        assertThat(provider.getMDCAdapter().get("k")).isEqualTo("v");
        assertThat(provider.getRequestedApiVersion()).startsWith("2.0");
    }

    /**
     * Logs with {@code logs} (by default one line at each level) through logback and through the provider, with
     * the same settings, on every logger of {@link #LOGGERS} (or {@code name}), and checks the same lines came out
     * apart from the time.
     */
    private void assertSameLines(String format, String level, String name, Consumer<Logger> logs) {
        Consumer<Logger> each = logs != null ? logs : logger -> {
            logger.trace("trace {}", 1);
            logger.debug("debug {}", 2);
            logger.info("info {}", 3);
            logger.warn("warn {}", 4);
            logger.error("error {}", 5);
        };
        Map<String, String> env = new HashMap<>(Map.of(LogSettings.FORMAT_ENV, format));
        if (level != null) {
            env.put(LogSettings.LEVEL_ENV, level);
        }
        LoggerContext logback = ShippedLogback.configured(format, level);
        StderrLoggerFactory ours = factory(env);
        for (String logger : name != null ? List.of(name) : LOGGERS) {
            each.accept(logback.getLogger(logger));
            String expected = taken();
            each.accept(ours.getLogger(logger));
            String actual = taken();
            assertThat(actual.lines().filter(line -> line.matches(TIME + " .*")).count())
                    .isEqualTo(expected.lines().filter(line -> line.matches(TIME + " .*")).count());
            assertThat(actual.replaceAll("(?m)^" + TIME + " ", "TIME "))
                    .as("logger %s, level %s", logger, level)
                    .isEqualTo(expected.replaceAll("(?m)^" + TIME + " ", "TIME "));
        }
    }

    private StderrLoggerFactory factory(Map<String, String> env) {
        return new StderrLoggerFactory(env, "INFO", ZoneId.systemDefault(), () -> System.err, mdc);
    }

    private static Throwable failure() {
        IOException cause = new IOException("inner\u0000cause", new IllegalArgumentException((String) null));
        IllegalStateException failure = new IllegalStateException("outer \"quoted\"\nline", cause);
        failure.addSuppressed(new IllegalStateException("suppressed"));
        return failure;
    }

    /** What was written to stderr since the last call. */
    private String taken() {
        String text = err.toString(StandardCharsets.UTF_8);
        err.reset();
        return text;
    }

    private List<JsonObject> jsonLines() {
        return taken().lines().map(JsonObject::new).toList();
    }
}
