package dev.tether.agent;

/**
 * One named check of the built-in {@code health_check} command, registered
 * with {@link Agent#registerHealthCheck(String, HealthCheck)}. Each run of the
 * command calls every check on the job's thread; an exception counts as a
 * failed check with its message. The host is healthy when every check is ok.
 *
 * <pre>{@code
 * agent.registerHealthCheck("database", () -> db.ping()
 *         ? HealthCheck.Result.ok("reachable")
 *         : HealthCheck.Result.failed("no answer from " + db.url()));
 * }</pre>
 */
@FunctionalInterface
public interface HealthCheck {

    Result check() throws Exception;

    /**
     * @param ok whether the check passed
     * @param message what an operator should read
     */
    record Result(boolean ok, String message) {

        public Result {
            message = message == null ? "" : message;
        }

        public static Result ok(String message) {
            return new Result(true, message);
        }

        public static Result failed(String message) {
            return new Result(false, message);
        }
    }
}
