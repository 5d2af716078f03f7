package dev.tether.server.dispatch;

/**
 * A command or cancel request the dispatcher refuses; nothing was stored. The
 * API answers with {@link Reason#status()} and {@link Reason#code()}.
 */
public final class DispatchException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    /** Why, with the HTTP status and error code the API uses. */
    public enum Reason {
        UNKNOWN_AGENT(404, "not_found"),
        NOT_FOUND(404, "not_found"),
        REVOKED_AGENT(422, "agent_revoked"),
        NOT_APPROVED(422, "agent_not_approved"),
        OUT_OF_SCOPE(403, "forbidden"),
        NO_TARGETS(422, "no_targets"),
        ALREADY_FINAL(409, "already_final"),
        TOO_MANY_PENDING(429, "too_many_pending");

        private final int status;
        private final String code;

        Reason(int status, String code) {
            this.status = status;
            this.code = code;
        }

        public int status() {
            return status;
        }

        public String code() {
            return code;
        }
    }

    private final Reason reason;

    DispatchException(Reason reason, String message) {
        super(message, null, false, false);
        this.reason = reason;
    }

    public Reason reason() {
        return reason;
    }
}
