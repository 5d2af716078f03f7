package dev.tether.agent.shell;

import java.util.Locale;

/**
 * {@code ShellError.code}, as docs/protocol.md ("Shell sessions") defines them.
 * None of them affects the agent's other sessions or its connection.
 */
enum ShellErrorCode {
    /** The agent runs without {@code --enable-shell}. */
    DISABLED,
    /** An open would exceed {@code --max-shells}. */
    TOO_MANY_SESSIONS,
    /** A bad id, rows or cols of 0 or over 1000, an empty command element, or another malformed field. */
    BAD_REQUEST,
    /** An open of an id in use. */
    EXISTS,
    /** Attach, input, resize, credit or close for an unknown or finished session. */
    NOT_FOUND,
    /** An attach to a session that has not been detached. */
    ATTACHED,
    /** Input beyond the input credit; the session is closed. */
    FLOW_CONTROL,
    /** The program could not be started; the message says why. */
    SPAWN_FAILED;

    /** The code on the wire: {@code too_many_sessions}. */
    String wire() {
        return name().toLowerCase(Locale.ROOT);
    }
}
