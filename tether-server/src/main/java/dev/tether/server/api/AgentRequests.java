package dev.tether.server.api;

import io.vertx.core.json.DecodeException;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Parsing and validation of request bodies and parameters. Every rule is
 * stated in the error message it produces. Stateless.
 */
final class AgentRequests {

    static final int MAX_NAME_LENGTH = 63;
    static final int MAX_LABELS = 64;
    static final int MAX_LABEL_KEY_LENGTH = 63;
    static final int MAX_LABEL_VALUE_LENGTH = 255;
    static final int DEFAULT_EVENT_LIMIT = 50;
    static final int MAX_EVENT_LIMIT = 500;
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9._-]{1," + MAX_NAME_LENGTH + "}");
    private static final Pattern LABEL_KEY = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._/-]{0,"
            + (MAX_LABEL_KEY_LENGTH - 1) + "}");

    private AgentRequests() {
    }

    record NewAgent(String name, Map<String, String> labels) {
    }

    static NewAgent newAgent(RoutingContext ctx) {
        JsonObject body = jsonObject(ctx);
        Object name = body.getValue("name");
        if (!(name instanceof String text) || !NAME.matcher(text).matches()) {
            throw ApiException.badRequest("invalid_name", "name must be a string of 1-" + MAX_NAME_LENGTH
                    + " characters from A-Z a-z 0-9 . _ -");
        }
        for (String field : body.fieldNames()) {
            if (!field.equals("name") && !field.equals("labels")) {
                throw ApiException.badRequest("unknown_field", "unknown field '" + field
                        + "': an agent takes only name and labels");
            }
        }
        return new NewAgent(text, labels(body.getValue("labels")));
    }

    /** A JSON merge of labels: keys to set, and keys to remove (given as null). */
    record LabelPatch(Map<String, String> set, Set<String> remove) {
    }

    /** {@code {"labels": {"k": "v", "gone": null}}}, each key and value checked as at enrolment. */
    static LabelPatch labelPatch(RoutingContext ctx) {
        JsonObject body = jsonObject(ctx);
        for (String field : body.fieldNames()) {
            if (!field.equals("labels")) {
                throw ApiException.badRequest("unknown_field", "unknown field '" + shorten(field)
                        + "': send {\"labels\": {\"key\": \"value\", \"removed\": null}}");
            }
        }
        if (!(body.getValue("labels") instanceof JsonObject labels) || labels.isEmpty()) {
            throw ApiException.badRequest("invalid_labels", "labels must be an object of keys to set (a string value)"
                    + " or remove (null), such as {\"labels\": {\"env\": \"prod\", \"old\": null}}");
        }
        if (labels.size() > 2 * MAX_LABELS) {
            throw ApiException.badRequest("invalid_labels", "at most " + 2 * MAX_LABELS + " labels in one change, got "
                    + labels.size());
        }
        Map<String, String> set = new LinkedHashMap<>();
        Set<String> remove = new LinkedHashSet<>();
        for (Map.Entry<String, Object> entry : labels) {
            String key = labelKey(entry.getKey());
            if (entry.getValue() == null) {
                remove.add(key);
            } else {
                set.put(key, labelValue(key, entry.getValue()));
            }
        }
        return new LabelPatch(set, remove);
    }

    private static Map<String, String> labels(Object value) {
        Map<String, String> labels = new LinkedHashMap<>();
        if (value == null) {
            return labels;
        }
        if (!(value instanceof JsonObject object)) {
            throw ApiException.badRequest("invalid_labels", "labels must be an object of string keys and values");
        }
        if (object.size() > MAX_LABELS) {
            throw ApiException.badRequest("invalid_labels", "at most " + MAX_LABELS + " labels, got "
                    + object.size());
        }
        for (Map.Entry<String, Object> entry : object) {
            labels.put(labelKey(entry.getKey()), labelValue(entry.getKey(), entry.getValue()));
        }
        return labels;
    }

    private static String labelKey(String key) {
        if (!LABEL_KEY.matcher(key).matches()) {
            throw ApiException.badRequest("invalid_labels", "label key '" + shorten(key) + "' must be 1-"
                    + MAX_LABEL_KEY_LENGTH + " characters from A-Z a-z 0-9 . _ / -, starting with a letter or digit");
        }
        return key;
    }

    private static String labelValue(String key, Object value) {
        if (!(value instanceof String text)) {
            throw ApiException.badRequest("invalid_labels", "label '" + key + "' must have a string value");
        }
        if (text.length() > MAX_LABEL_VALUE_LENGTH || text.chars().anyMatch(Character::isISOControl)) {
            throw ApiException.badRequest("invalid_labels", "label '" + key + "' must be at most "
                    + MAX_LABEL_VALUE_LENGTH + " characters without control characters");
        }
        return text;
    }

    /** The body as a JSON document of any kind, returned as its text. */
    static String jsonDocument(RoutingContext ctx) {
        String text = ctx.body().asString();
        if (text == null || text.isBlank()) {
            throw ApiException.badRequest("invalid_json", "the body must be a JSON document");
        }
        try {
            Json.decodeValue(text);
        } catch (DecodeException e) {
            throw ApiException.badRequest("invalid_json", "the body is not valid JSON: " + shorten(e.getMessage()));
        }
        return text.strip();
    }

    /** The body as a JSON object. */
    static JsonObject jsonBody(RoutingContext ctx) {
        return jsonObject(ctx);
    }

    /** Labels from a JSON value: an object of string keys and values, or null for none. */
    static Map<String, String> labelsOf(Object value) {
        return labels(value);
    }

    /** A whole number field within [min, max], or the fallback when absent. */
    static long boundedLong(JsonObject body, String field, long fallback, long min, long max) {
        Object value = body.getValue(field);
        if (value == null) {
            return fallback;
        }
        if (!(value instanceof Number number) || number.doubleValue() != number.longValue()
                || number.longValue() < min || number.longValue() > max) {
            throw ApiException.badRequest("invalid_" + field, field + " must be a whole number from " + min
                    + " to " + max);
        }
        return number.longValue();
    }

    private static JsonObject jsonObject(RoutingContext ctx) {
        String text = jsonDocument(ctx);
        Object value = Json.decodeValue(text);
        if (!(value instanceof JsonObject object)) {
            throw ApiException.badRequest("invalid_json", "the body must be a JSON object");
        }
        return object;
    }

    static int limit(RoutingContext ctx) {
        String text = ctx.queryParams().get("limit");
        if (text == null) {
            return DEFAULT_EVENT_LIMIT;
        }
        long limit = positiveLong("limit", text);
        if (limit > MAX_EVENT_LIMIT) {
            throw ApiException.badRequest("invalid_limit", "limit must be 1-" + MAX_EVENT_LIMIT + ", got " + limit);
        }
        return (int) limit;
    }

    static Long before(RoutingContext ctx) {
        String text = ctx.queryParams().get("before");
        return text == null ? null : positiveLong("before", text);
    }

    private static long positiveLong(String name, String text) {
        try {
            long value = Long.parseLong(text);
            if (value > 0) {
                return value;
            }
        } catch (NumberFormatException e) {
            // falls through to the error below
        }
        throw ApiException.badRequest("invalid_" + name, name + " must be a positive integer, got '"
                + shorten(text) + "'");
    }

    private static String shorten(String text) {
        return text.length() <= 80 ? text : text.substring(0, 80) + "...";
    }
}
