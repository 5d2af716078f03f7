package dev.tether.protocol;

/**
 * A peer broke the protocol. Carries the close code the connection ends with;
 * the message is the close reason and is safe to log (it never holds secrets).
 */
public final class ProtocolException extends Exception {

    private static final long serialVersionUID = 1L;

    private final int closeCode;

    public ProtocolException(int closeCode, String reason) {
        super(reason);
        this.closeCode = closeCode;
    }

    public ProtocolException(int closeCode, String reason, Throwable cause) {
        super(reason, cause);
        this.closeCode = closeCode;
    }

    public int closeCode() {
        return closeCode;
    }

    /** The reason, trimmed to fit a close frame. */
    public String closeReason() {
        return CloseCodes.fitReason(getMessage());
    }
}
