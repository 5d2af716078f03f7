package dev.tether.agent;

import dev.tether.agent.json.Json;
import java.nio.charset.StandardCharsets;

/**
 * How a job ended, as its {@link CommandHandler} says: succeeded or failed, an
 * exit code, an error message and a JSON result, all reported to the server in
 * the job's final event.
 *
 * <pre>{@code
 * return JobResult.success("{\"bytes\": 1234}");
 * return JobResult.failure("disk full");
 * return JobResult.exitCode(3);                 // failed, exit code 3
 * }</pre>
 *
 * @param succeeded whether the job did what it was asked
 * @param exitCode 0 unless the job wants to report one (non-zero for failures of processes)
 * @param error why it failed; empty when it succeeded
 * @param resultJson a JSON document for the server, at most {@link #MAX_RESULT_BYTES} bytes; {@code {}} for none
 */
public record JobResult(boolean succeeded, int exitCode, String error, String resultJson) {

    /** Largest result document, in UTF-8 bytes: it travels in one frame with the rest of the event. */
    public static final int MAX_RESULT_BYTES = 512 * 1024;
    /** Longest error message reported; longer ones are cut. */
    public static final int MAX_ERROR_LENGTH = 4096;

    /**
     * @throws IllegalArgumentException when the result is not well-formed JSON or too large
     */
    public JobResult {
        error = error == null ? "" : cut(error);
        resultJson = resultJson == null ? "{}" : resultJson;
        byte[] utf8 = resultJson.getBytes(StandardCharsets.UTF_8);
        if (utf8.length > MAX_RESULT_BYTES) {
            throw new IllegalArgumentException("job result is " + utf8.length + " bytes of JSON; the limit is "
                    + MAX_RESULT_BYTES + " (stream bulk data as output instead)");
        }
        String problem = Json.problem(utf8);
        if (problem != null) {
            throw new IllegalArgumentException("job result is not well-formed JSON: " + problem);
        }
        if (succeeded && !error.isEmpty()) {
            throw new IllegalArgumentException("a succeeded job has no error; use failure(...)");
        }
    }

    public static JobResult success() {
        return new JobResult(true, 0, "", "{}");
    }

    /** Succeeded with a JSON result, e.g. {@code {"bytes": 1234}}. */
    public static JobResult success(String resultJson) {
        return new JobResult(true, 0, "", resultJson);
    }

    public static JobResult failure(String error) {
        return new JobResult(false, 0, error, "{}");
    }

    /** Failed, with a JSON result too (what was done before the failure). */
    public static JobResult failure(String error, String resultJson) {
        return new JobResult(false, 0, error, resultJson);
    }

    /** Succeeded when {@code code} is 0, else failed with "exited with code N". */
    public static JobResult exitCode(int code) {
        return code == 0 ? new JobResult(true, 0, "", "{}")
                : new JobResult(false, code, "exited with code " + code, "{}");
    }

    private static String cut(String error) {
        return error.length() <= MAX_ERROR_LENGTH ? error : error.substring(0, MAX_ERROR_LENGTH - 3) + "...";
    }
}
