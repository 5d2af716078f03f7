package dev.tether.agent.shell;

/** A shell request the agent refuses; answered with a ShellError of {@link #code()} and this message. */
final class ShellRefused extends Exception {

    private static final long serialVersionUID = 1L;

    private final ShellErrorCode code;

    ShellRefused(ShellErrorCode code, String message) {
        super(message, null, false, false);
        this.code = code;
    }

    ShellErrorCode code() {
        return code;
    }
}
