package dev.tether.server.dispatch;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * A command as stored in {@code commands}. Timestamps are epoch millis.
 *
 * @param spec exec: {@code {"argv": [...], "env": {...}, "cwd": ...}}; other types {@code {"params": ...}}
 * @param target {@code {"agents": [...]}} or {@code {"selector": "..."}}, as the operator asked
 * @param finishedAt when the last job became final, null before
 */
public record CommandRecord(
        String id,
        String type,
        String spec,
        String target,
        long timeoutSeconds,
        long deadlineSeconds,
        int maxConcurrency,
        int maxErrors,
        String createdBy,
        long createdAt,
        State state,
        Long finishedAt) {

    /** {@code running} until every job is final ({@code completed}) or an operator cancels it. */
    public enum State {
        RUNNING, COMPLETED, CANCELLED;

        public String wire() {
            return name().toLowerCase(Locale.ROOT);
        }

        static State parse(String wire) {
            return valueOf(wire.toUpperCase(Locale.ROOT));
        }
    }

    public boolean exec() {
        return NewCommand.EXEC.equals(type);
    }

    public JsonObject specJson() {
        return new JsonObject(spec);
    }

    public JsonObject targetJson() {
        return new JsonObject(target);
    }

    /** The exec program and arguments; empty for other types. */
    public List<String> argv() {
        List<String> argv = new ArrayList<>();
        specJson().getJsonArray("argv", new JsonArray()).forEach(item -> argv.add(String.valueOf(item)));
        return argv;
    }

    public Map<String, String> env() {
        Map<String, String> env = new LinkedHashMap<>();
        JsonObject json = specJson().getJsonObject("env", new JsonObject());
        json.forEach(entry -> env.put(entry.getKey(), String.valueOf(entry.getValue())));
        return env;
    }

    public String cwd() {
        return specJson().getString("cwd");
    }

    /** The parameters of a non-exec type (any JSON value), or null. */
    public Object params() {
        return specJson().getValue("params");
    }

    /** The spec column of a new command. */
    static String spec(NewCommand command) {
        if (command.exec()) {
            JsonObject env = new JsonObject();
            command.env().forEach(env::put);
            return new JsonObject().put("argv", new JsonArray(new ArrayList<Object>(command.argv())))
                    .put("env", env).put("cwd", command.cwd()).encode();
        }
        Object params = command.paramsJson() == null ? null : io.vertx.core.json.Json.decodeValue(command.paramsJson());
        return new JsonObject().put("params", params).encode();
    }

    /** The target column of a new command. */
    static String target(NewCommand command) {
        return command.selector() != null
                ? new JsonObject().put("selector", command.selector().text()).encode()
                : new JsonObject().put("agents", new JsonArray(new ArrayList<Object>(command.agents()))).encode();
    }
}
