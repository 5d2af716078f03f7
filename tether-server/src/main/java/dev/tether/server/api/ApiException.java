package dev.tether.server.api;

/**
 * A request the API refuses: becomes {@code {"error": code, "message": message}}
 * with the HTTP status. Messages say what happened and what to do; they never
 * echo secrets.
 */
final class ApiException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    private final int status;
    private final String code;

    ApiException(int status, String code, String message) {
        super(message, null, false, false);
        this.status = status;
        this.code = code;
    }

    static ApiException badRequest(String code, String message) {
        return new ApiException(400, code, message);
    }

    static ApiException notFound(String agent) {
        return new ApiException(404, "not_found", "no agent with id or name '" + agent
                + "': list agents with GET /api/v1/agents");
    }

    static ApiException unavailable(String message) {
        return new ApiException(503, "unavailable", message);
    }

    int status() {
        return status;
    }

    String code() {
        return code;
    }
}
