package dev.tether.cli.logging;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import io.vertx.core.json.JsonObject;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.MDC;

/**
 * The shipped logging configuration ({@link TetherLogConfigurator}), without a complaint from logback: with {@code TETHER_LOG_FORMAT=json} it writes one
 * bounded JSON object a line, whatever the message holds; without it (or empty), the human format.
 */
class JsonLogEncoderTest {

    private static final String HOSTILE = "say \"hi\"\\ then\nforged {\"level\":\"ERROR\"}\r\n\ttab \u0000nul "
            + "\u0001\u001f\u007f bell\u0007 \u2028sep é 日本 \uD83D\uDE00 end";

    private final ByteArrayOutputStream err = new ByteArrayOutputStream();
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
    void aHostileMessageIsOneParsableLineThatSaysExactlyWhatWasLogged() throws Exception {
        Logger logger = configured("json").getLogger("dev.tether.server.Hostile");
        MDC.put("request_id", "req-1");
        MDC.put("message", "an MDC key named like a field");
        logger.atWarn().addKeyValue("status", 404).addKeyValue("path", "/a\"b\nc").log(HOSTILE);

        List<String> lines = lines();
        assertThat(lines).hasSize(1);
        JsonObject line = new JsonObject(lines.getFirst());
        assertThat(line.getString("message")).isEqualTo(HOSTILE);
        assertThat(line.getString("level")).isEqualTo("WARN");
        assertThat(line.getString("logger")).isEqualTo("dev.tether.server.Hostile");
        assertThat(line.getString("thread")).isEqualTo(Thread.currentThread().getName());
        assertThat(Instant.parse(line.getString("time"))).isBeforeOrEqualTo(Instant.now());
        assertThat(line.getJsonObject("mdc").getMap()).isEqualTo(Map.of("request_id", "req-1",
                "message", "an MDC key named like a field"));
        assertThat(line.getJsonObject("kv").getInteger("status")).isEqualTo(404);
        assertThat(line.getJsonObject("kv").getString("path")).isEqualTo("/a\"b\nc");
        assertThat(line.containsKey("exception")).isFalse();
        assertThat(lines.getFirst()).doesNotContain("\u0000").doesNotContain("\r").doesNotContain("\u0007");
    }

    @Test
    void anExceptionKeepsItsStackAndCausesInsideTheLine() throws Exception {
        Logger logger = configured("json").getLogger("dev.tether.Failing");
        IllegalStateException failure = new IllegalStateException("outer \"quoted\"\nline",
                new java.io.IOException("inner\u0000cause"));

        logger.error("it failed", failure);

        List<String> lines = lines();
        assertThat(lines).hasSize(1);
        String exception = new JsonObject(lines.getFirst()).getString("exception");
        assertThat(exception)
                .startsWith("java.lang.IllegalStateException: outer \"quoted\"\nline")
                .contains("\tat dev.tether.cli.logging.JsonLogEncoderTest.anExceptionKeepsItsStackAndCausesInsideTheLine")
                .contains("Caused by: java.io.IOException: inner\u0000cause");
        assertThat(new JsonObject(lines.getFirst()).containsKey("mdc")).isFalse();
    }

    @Test
    void anUnpairedSurrogateCannotBreakTheLine() throws Exception {
        Logger logger = configured("json").getLogger("dev.tether.Surrogate");

        logger.info("half \uD83D of an emoji");

        assertThat(new JsonObject(lines().getFirst()).getString("message")).isEqualTo("half ? of an emoji");
    }

    @Test
    void aHugeMessageMdcValueAndStackAreCutAndSaySo() throws Exception {
        Logger logger = configured("json").getLogger("dev.tether.Huge");
        String huge = "m".repeat(JsonLogLine.MAX_FIELD_CHARS - 1) + "\uD83D\uDE00" + "x".repeat(1_000_000);
        MDC.put("request_id", huge);
        Throwable chain = new IllegalStateException("root");
        for (int i = 0; i < 200; i++) {
            chain = new IllegalStateException("cause " + i + " " + "c".repeat(500), chain);
        }

        logger.error(huge, chain);
        MDC.clear();
        logger.info("small");

        List<String> lines = lines();
        assertThat(lines).hasSize(2);
        JsonObject line = new JsonObject(lines.getFirst());
        String cut = "m".repeat(JsonLogLine.MAX_FIELD_CHARS - 1) + "…[1000002 chars cut]";
        assertThat(line.getString("message")).isEqualTo(cut);
        assertThat(line.getJsonObject("mdc").getString("request_id")).isEqualTo(cut);
        assertThat(line.getString("exception")).startsWith("java.lang.IllegalStateException: cause 199")
                .matches("(?s).*…\\[\\d+ chars cut]")
                .hasSizeLessThan(JsonLogLine.MAX_EXCEPTION_CHARS + 30);
        assertThat(line.getBoolean("truncated")).isTrue();
        assertThat(lines.getFirst().length()).isLessThan(2 * JsonLogLine.MAX_FIELD_CHARS
                + JsonLogLine.MAX_EXCEPTION_CHARS + 2_000);
        assertThat(new JsonObject(lines.get(1)).containsKey("truncated")).isFalse();
    }

    @Test
    void anEmptyFormatIsTheHumanOneWithoutAComplaint() throws Exception {
        configured("").getLogger("dev.tether.Plain").info("plain message");

        assertThat(lines()).singleElement().asString().endsWith(" dev.tether.Plain - plain message");
    }

    @Test
    void theDefaultFormatStaysTheHumanOne() throws Exception {
        Logger logger = configured(null).getLogger("dev.tether.Plain");

        logger.info("plain message");

        assertThat(lines()).singleElement().asString()
                .matches("\\d{4}-\\d\\d-\\d\\dT\\S+ INFO  \\[.+\\] dev\\.tether\\.Plain - plain message");
    }

    /** A logger context configured as the shipped configurator does, as if TETHER_LOG_FORMAT were {@code format}. */
    private static LoggerContext configured(String format) {
        return ShippedLogback.configured(format, null);
    }

    private List<String> lines() {
        String text = err.toString(StandardCharsets.UTF_8);
        assertThat(text).endsWith("\n");
        return text.lines().toList();
    }
}
