package dev.tether.cli.logging;

import java.io.PrintStream;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;

/**
 * The logging settings taken from the environment, checked before anything logs (the configuration itself is
 * {@link TetherLogConfigurator}, which reads them):
 * <ul>
 *   <li>{@value #FORMAT_ENV}: {@code text} (the default, for people) or {@code json} (one object a line,
 *       {@link JsonLogEncoder}), the format of the {@link FormatEncoder};</li>
 *   <li>{@value #LEVEL_ENV}: the level of Tether's own loggers, {@code info} by default (any case; logback
 *       itself would take a misspelt level for {@code debug} without a word);</li>
 *   <li>{@value #ACCESS_ENV}: {@code on} (the default) or {@code off}, the server's access log (the logger
 *       {@code tether.access}), passed to the configuration as the level in {@value #ACCESS_LEVEL_PROPERTY}.</li>
 * </ul>
 * Any other value stops the command with a message naming the valid ones. Every entry point that logs
 * ({@code tether}'s {@code Main}, and any launcher of its own) calls {@link #applyOrExplain} first thing in
 * {@code main}, before any class touches a logger: logback reads the settings once, when the first logger is made.
 *
 * <p>Stateless.
 */
public final class LogSettings {

    public static final String FORMAT_ENV = "TETHER_LOG_FORMAT";
    public static final String LEVEL_ENV = "TETHER_LOG_LEVEL";
    public static final String ACCESS_ENV = "TETHER_ACCESS_LOG";
    public static final String ACCESS_LEVEL_PROPERTY = "tether.access.level";
    static final List<String> FORMATS = List.of("text", "json");
    static final List<String> LEVELS = List.of("info", "trace", "debug", "warn", "error", "off");
    static final List<String> ACCESS = List.of("on", "off");
    /** Longest part of a bad value echoed in the error. */
    private static final int SHOWN_CHARS = 40;

    private LogSettings() {
    }

    /**
     * For an entry point's {@code main}: {@link #apply}s the settings to this JVM's system properties, or prints
     * {@code PROGRAM: what is wrong and the values allowed} on {@code err} and returns false; the caller then
     * exits with its usage-error code (2) without logging anything.
     */
    public static boolean applyOrExplain(String program, Map<String, String> env, PrintStream err) {
        try {
            apply(env, System.getProperties());
            return true;
        } catch (IllegalArgumentException e) {
            err.println(program + ": " + e.getMessage());
            err.flush();
            return false;
        }
    }

    /**
     * Checks the variables and sets the system properties the configuration reads.
     *
     * @throws IllegalArgumentException naming the variable, its value and the values it takes
     */
    public static void apply(Map<String, String> env, Properties system) {
        check(env, FORMAT_ENV, FORMATS);
        String level = env.get(LEVEL_ENV);
        check(LEVEL_ENV, level, level == null ? null : level.toLowerCase(Locale.ROOT), LEVELS);
        String access = check(env, ACCESS_ENV, ACCESS);
        system.setProperty(ACCESS_LEVEL_PROPERTY, "off".equals(access) ? "OFF" : "INFO");
    }

    /** The variable's value, null when unset or empty; one of {@code valid} otherwise. */
    private static String check(Map<String, String> env, String name, List<String> valid) {
        return check(name, env.get(name), env.get(name), valid);
    }

    /** {@code value} (the variable's {@code given} value, normalized), null when empty, or one of {@code valid}. */
    private static String check(String name, String given, String value, List<String> valid) {
        if (value == null || value.isEmpty() || valid.contains(value)) {
            return value;
        }
        String allowed = String.join(", ", valid.subList(0, valid.size() - 1)) + " or " + valid.getLast();
        throw new IllegalArgumentException(name + " is '" + shown(given) + "'; use " + allowed
                + " (default " + valid.getFirst() + ")");
    }

    /** The value as printable ASCII, cut short: it is echoed to a terminal. */
    private static String shown(String value) {
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < value.length() && i < SHOWN_CHARS; i++) {
            char c = value.charAt(i);
            out.append(c >= ' ' && c < 0x7f ? c : '?');
        }
        return value.length() > SHOWN_CHARS ? out + "..." : out.toString();
    }
}
