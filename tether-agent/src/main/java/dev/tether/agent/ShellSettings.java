package dev.tether.agent;

import dev.tether.agent.process.Programs;
import dev.tether.protocol.Limits;
import java.time.Duration;

/**
 * The agent's remote shells: interactive PTY sessions a server opens over the
 * agent's connection. Off unless {@code enabled}, because whoever may open one
 * runs commands as the agent's user. Validated on construction, with messages
 * that name the flag to change.
 *
 * @param enabled serve shells ({@code --enable-shell}) and advertise the capability {@code shell}
 * @param program the shell started when an open names no command ({@code --shell}); null: the
 *     user's login shell ({@code $SHELL}, else {@code /etc/passwd}, else {@code /bin/sh})
 * @param maxSessions sessions held at once, attached or detached ({@code --max-shells}), 1 to
 *     {@link #MAX_SESSIONS_LIMIT}
 * @param idleTimeout how long a detached session keeps its PTY before it is killed
 *     ({@code --shell-idle-timeout}), positive and at most {@link #MAX_IDLE_TIMEOUT}
 * @param scrollbackBytes output each session keeps for replay on re-attach ({@code --shell-scrollback}),
 *     {@link Limits#SHELL_CHUNK_BYTES} to {@link #MAX_SCROLLBACK_BYTES}
 */
public record ShellSettings(boolean enabled, String program, int maxSessions, Duration idleTimeout,
        int scrollbackBytes) {

    /** Most sessions an agent may be configured to hold. */
    public static final int MAX_SESSIONS_LIMIT = 256;
    /** Longest idle timeout: a detached shell is not meant to live for weeks. */
    public static final Duration MAX_IDLE_TIMEOUT = Duration.ofDays(7);
    /** Largest scrollback per session (memory: this times the session cap). */
    public static final int MAX_SCROLLBACK_BYTES = 64 * 1024 * 1024;

    public ShellSettings {
        if (program != null) {
            checkProgram(program, enabled);
        }
        if (maxSessions < 1 || maxSessions > MAX_SESSIONS_LIMIT) {
            throw new IllegalArgumentException("the shell session cap must be 1 to " + MAX_SESSIONS_LIMIT
                    + ", not " + maxSessions + " (--max-shells N)");
        }
        if (idleTimeout == null || idleTimeout.isNegative() || idleTimeout.isZero()
                || idleTimeout.compareTo(MAX_IDLE_TIMEOUT) > 0) {
            throw new IllegalArgumentException("the shell idle timeout must be positive and at most "
                    + MAX_IDLE_TIMEOUT.toDays() + " days, not " + idleTimeout + " (--shell-idle-timeout 5m)");
        }
        if (scrollbackBytes < Limits.SHELL_CHUNK_BYTES || scrollbackBytes > MAX_SCROLLBACK_BYTES) {
            throw new IllegalArgumentException("the shell scrollback must be " + Limits.SHELL_CHUNK_BYTES / 1024
                    + " KiB to " + MAX_SCROLLBACK_BYTES / (1024 * 1024) + " MiB, not " + scrollbackBytes
                    + " bytes (--shell-scrollback 64k)");
        }
    }

    /** Shells off, every other setting at its default. */
    public static ShellSettings disabled() {
        return new ShellSettings(false, null, Limits.DEFAULT_MAX_SHELL_SESSIONS, Limits.DEFAULT_SHELL_IDLE_TIMEOUT,
                Limits.DEFAULT_SHELL_SCROLLBACK_BYTES);
    }

    private static void checkProgram(String program, boolean enabled) {
        if (program.isBlank()) {
            throw new IllegalArgumentException("the shell program is empty (--shell /bin/bash, or leave it out "
                    + "for the user's login shell)");
        }
        String problem = enabled ? Programs.problem(program, System.getenv("PATH"), null) : null;
        if (problem != null) {
            throw new IllegalArgumentException("--shell " + program + ": " + problem);
        }
    }
}
