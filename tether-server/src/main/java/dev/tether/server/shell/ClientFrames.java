package dev.tether.server.shell;

import dev.tether.protocol.Limits;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;

/**
 * The framing between the server and a terminal client (browser or CLI) on
 * {@code /api/v1/agents/{id}/shell}: binary WebSocket messages carry terminal
 * bytes both ways (keystrokes in, output out); text messages carry small JSON
 * control messages, each with a {@code type}.
 *
 * <p>Client to server: {@code {"type":"resize","rows":R,"cols":C}} and
 * {@code {"type":"close"}} (end the session; closing the socket only detaches).
 * Server to client: {@code ready} (session id, pid, attached, output_offset),
 * {@code exit} (exit_code, signal), {@code error} (code, message) and
 * {@code status} ({@code agent}: {@code disconnected} or {@code reconnected}).
 * Documented for users in docs/shell.md. Stateless.
 */
public final class ClientFrames {

    /** Longest control message accepted from a client. */
    static final int MAX_CONTROL_BYTES = 1024;

    private ClientFrames() {
    }

    /** A control message from the client. */
    sealed interface Control {
        record Resize(int rows, int cols) implements Control {
        }

        record Close() implements Control {
        }
    }

    /** @throws IllegalArgumentException with a message for the client when the control message is invalid */
    static Control parse(String text) {
        if (text.length() > MAX_CONTROL_BYTES) {
            throw new IllegalArgumentException("control messages are at most " + MAX_CONTROL_BYTES + " bytes");
        }
        JsonObject json;
        try {
            json = new JsonObject(text);
        } catch (DecodeException | ClassCastException e) {
            throw new IllegalArgumentException("text messages must be JSON objects such as "
                    + "{\"type\":\"resize\",\"rows\":24,\"cols\":80}; send terminal input as binary messages");
        }
        Object type = json.getValue("type");
        if ("resize".equals(type)) {
            return new Control.Resize(dimension(json, "rows"), dimension(json, "cols"));
        }
        if ("close".equals(type)) {
            return new Control.Close();
        }
        throw new IllegalArgumentException("unknown control message type " + type + ": use resize or close");
    }

    /** @throws IllegalArgumentException when the value is not 1-1000 */
    static int dimension(JsonObject json, String field) {
        Object value = json.getValue(field);
        if (!(value instanceof Number number) || number.doubleValue() != number.intValue()) {
            throw new IllegalArgumentException(field + " must be a whole number from 1 to "
                    + Limits.MAX_TERMINAL_DIMENSION);
        }
        return checkDimension(field, number.intValue());
    }

    /** @throws IllegalArgumentException when the value is not 1-1000 */
    public static int checkDimension(String field, int value) {
        if (value < 1 || value > Limits.MAX_TERMINAL_DIMENSION) {
            throw new IllegalArgumentException(field + " must be from 1 to " + Limits.MAX_TERMINAL_DIMENSION
                    + ", was " + value);
        }
        return value;
    }

    static String ready(ShellId id, long pid, boolean attached, long outputOffset) {
        return new JsonObject().put("type", "ready").put("session", id.hex()).put("pid", pid)
                .put("attached", attached).put("output_offset", outputOffset).encode();
    }

    static String exit(int exitCode, String signal) {
        JsonObject json = new JsonObject().put("type", "exit").put("exit_code", exitCode);
        if (signal != null && !signal.isEmpty()) {
            json.put("signal", signal);
        }
        return json.encode();
    }

    public static String error(String code, String message) {
        return new JsonObject().put("type", "error").put("code", code).put("message", message).encode();
    }

    static String status(String agentState) {
        return new JsonObject().put("type", "status").put("agent", agentState).encode();
    }
}
