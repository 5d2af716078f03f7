package dev.tether.server.api;

import dev.tether.server.dispatch.NewCommand;
import dev.tether.server.dispatch.Selector;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Parsing and validation of {@code POST /api/v1/commands}: every rule is
 * stated in the error it produces (400, code {@code invalid_<field>}), and a
 * request that breaks one stores nothing. Stateless.
 */
final class CommandRequests {

    static final int MAX_ARGV = 4096;
    static final int MAX_ENV = 1024;
    private static final Set<String> FIELDS = Set.of("agents", "selector", "type", "argv", "env", "cwd", "params",
            "timeout_s", "deadline_s", "max_concurrency", "max_errors");
    private static final Pattern TYPE = Pattern.compile("[a-z0-9][a-z0-9._-]{0,63}");
    private static final Pattern ENV_NAME = Pattern.compile("[^=\\x00]{1,255}");
    private static final Pattern SHA256 = Pattern.compile("[0-9a-fA-F]{64}");

    private CommandRequests() {
    }

    static NewCommand parse(RoutingContext ctx) {
        JsonObject body = jsonObject(ctx);
        for (String field : body.fieldNames()) {
            if (!FIELDS.contains(field)) {
                throw invalid("unknown_field", "unknown field '" + field + "': a command takes " + String.join(", ",
                        FIELDS.stream().sorted().toList()));
            }
        }
        String type = type(body.getValue("type"));
        boolean exec = NewCommand.EXEC.equals(type);
        return new NewCommand(type,
                exec ? argv(body.getValue("argv")) : absent(body, "argv", type),
                exec ? env(body.getValue("env")) : absentMap(body, "env", type),
                exec ? cwd(body.getValue("cwd")) : absentString(body, "cwd", type),
                exec ? noParams(body) : params(type, body.getValue("params")),
                agents(body),
                selector(body),
                integer(body, "timeout_s", 0, NewCommand.MAX_TIMEOUT.toSeconds(), "seconds (at most 7 days)"),
                integer(body, "deadline_s", 0, NewCommand.MAX_DEADLINE.toSeconds(), "seconds (at most 30 days)"),
                (int) integer(body, "max_concurrency", 0, NewCommand.MAX_CONCURRENCY, "jobs (0: unlimited)"),
                (int) integer(body, "max_errors", -1, NewCommand.MAX_ERRORS, "failures (-1: unlimited)",
                        -1),
                Actors.of(ctx));
    }

    private static JsonObject jsonObject(RoutingContext ctx) {
        Object value = Json.decodeValue(AgentRequests.jsonDocument(ctx));
        if (!(value instanceof JsonObject object)) {
            throw invalid("invalid_json", "the body must be a JSON object");
        }
        return object;
    }

    private static String type(Object value) {
        if (value == null) {
            return NewCommand.EXEC;
        }
        if (!(value instanceof String text) || !TYPE.matcher(text).matches()) {
            throw invalid("invalid_type", "type must be 1-64 characters from a-z 0-9 . _ - (exec, health_check,"
                    + " config, self_update or a custom type)");
        }
        return text;
    }

    private static List<String> argv(Object value) {
        if (value == null || value instanceof JsonArray array && array.isEmpty()) {
            throw invalid("missing_argv", "an exec command needs argv: the program and its arguments, e.g."
                    + " [\"uptime\"]");
        }
        if (!(value instanceof JsonArray array) || array.size() > MAX_ARGV) {
            throw invalid("invalid_argv", "argv must be an array of at most " + MAX_ARGV + " strings");
        }
        List<String> argv = new ArrayList<>();
        for (Object item : array) {
            if (!(item instanceof String text) || text.indexOf('\0') >= 0) {
                throw invalid("invalid_argv", "argv must hold strings without NUL characters");
            }
            argv.add(text);
        }
        if (argv.get(0).isEmpty()) {
            throw invalid("invalid_argv", "argv[0], the program, must not be empty");
        }
        return argv;
    }

    private static Map<String, String> env(Object value) {
        Map<String, String> env = new LinkedHashMap<>();
        if (value == null) {
            return env;
        }
        if (!(value instanceof JsonObject object) || object.size() > MAX_ENV) {
            throw invalid("invalid_env", "env must be an object of at most " + MAX_ENV + " string variables");
        }
        for (Map.Entry<String, Object> entry : object) {
            if (!ENV_NAME.matcher(entry.getKey()).matches() || !(entry.getValue() instanceof String text)
                    || text.indexOf('\0') >= 0) {
                throw invalid("invalid_env", "env variable '" + entry.getKey() + "' must have a name without '='"
                        + " or NUL and a string value without NUL");
            }
            env.put(entry.getKey(), text);
        }
        return env;
    }

    private static String cwd(Object value) {
        if (value == null) {
            return null;
        }
        if (!(value instanceof String text) || text.isEmpty() || text.indexOf('\0') >= 0) {
            throw invalid("invalid_cwd", "cwd must be a non-empty path without NUL characters");
        }
        return text;
    }

    private static String noParams(JsonObject body) {
        if (body.getValue("params") != null) {
            throw invalid("invalid_params", "params are for non-exec types: exec takes argv, env and cwd");
        }
        return null;
    }

    private static String params(String type, Object value) {
        switch (type) {
            case NewCommand.CONFIG -> {
                if (!(value instanceof JsonObject object) || !object.containsKey("config")) {
                    throw invalid("invalid_params", "a config command takes params {\"config\": <the new"
                            + " configuration document>}");
                }
            }
            case NewCommand.SELF_UPDATE -> {
                if (!(value instanceof JsonObject object) || !(object.getValue("url") instanceof String url)
                        || !(url.startsWith("https://") || url.startsWith("http://"))
                        || !(object.getValue("sha256") instanceof String sha) || !SHA256.matcher(sha).matches()) {
                    throw invalid("invalid_params", "a self_update command takes params {\"url\": \"http(s)://...\","
                            + " \"sha256\": \"<64 hex digits>\"}");
                }
            }
            default -> {
                // Custom types and health_check take any parameters; the agent's handler checks them.
            }
        }
        return value == null ? null : Json.encode(value);
    }

    private static List<String> agents(JsonObject body) {
        Object value = body.getValue("agents");
        boolean hasSelector = body.getValue("selector") != null;
        if (value == null) {
            if (!hasSelector) {
                throw invalid("missing_target", "choose the targets: agents (ids or names) or selector"
                        + " (e.g. \"env=prod,role=db\")");
            }
            return null;
        }
        if (hasSelector) {
            throw invalid("invalid_target", "give either agents or selector, not both");
        }
        if (!(value instanceof JsonArray array) || array.isEmpty() || array.size() > NewCommand.MAX_LISTED_AGENTS) {
            throw invalid("invalid_agents", "agents must be an array of 1-" + NewCommand.MAX_LISTED_AGENTS
                    + " agent ids or names");
        }
        List<String> agents = new ArrayList<>();
        for (Object item : array) {
            if (!(item instanceof String text) || text.isEmpty()) {
                throw invalid("invalid_agents", "agents must hold agent ids or names (non-empty strings)");
            }
            agents.add(text);
        }
        return agents;
    }

    private static Selector selector(JsonObject body) {
        Object value = body.getValue("selector");
        if (value == null) {
            return null;
        }
        if (!(value instanceof String text)) {
            throw invalid("invalid_selector", "selector must be a string such as \"env=prod,role=db\"");
        }
        try {
            return Selector.parse(text);
        } catch (IllegalArgumentException e) {
            throw invalid("invalid_selector", e.getMessage());
        }
    }

    private static long integer(JsonObject body, String field, long min, long max, String unit) {
        return integer(body, field, min, max, unit, min);
    }

    private static long integer(JsonObject body, String field, long min, long max, String unit, long absent) {
        Object value = body.getValue(field);
        if (value == null) {
            return absent;
        }
        if ((value instanceof Integer || value instanceof Long || value instanceof BigInteger)
                && ((Number) value).doubleValue() >= min && ((Number) value).doubleValue() <= max) {
            return ((Number) value).longValue();
        }
        throw invalid("invalid_" + field, field + " must be a whole number of " + unit + " from " + min + " to "
                + max + ", got " + Json.encode(value));
    }

    private static List<String> absent(JsonObject body, String field, String type) {
        absentString(body, field, type);
        return List.of();
    }

    private static Map<String, String> absentMap(JsonObject body, String field, String type) {
        absentString(body, field, type);
        return Map.of();
    }

    private static String absentString(JsonObject body, String field, String type) {
        if (body.getValue(field) != null) {
            throw invalid("invalid_" + field, field + " is only for exec commands; a " + type
                    + " command takes params");
        }
        return null;
    }

    private static ApiException invalid(String code, String message) {
        return ApiException.badRequest(code, message);
    }
}
