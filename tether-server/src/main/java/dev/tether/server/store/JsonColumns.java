package dev.tether.server.store;

import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Encoding of the string maps and lists the schema keeps as JSON TEXT columns. */
final class JsonColumns {

    private JsonColumns() {
    }

    static String encodeMap(Map<String, String> map) {
        JsonObject json = new JsonObject();
        map.forEach(json::put);
        return json.encode();
    }

    static String encodeList(List<String> list) {
        return new JsonArray(new ArrayList<Object>(list)).encode();
    }

    /** A JSON object of strings; empty for null or a damaged column. */
    static Map<String, String> decodeMap(String text) {
        Map<String, String> map = new LinkedHashMap<>();
        if (text == null) {
            return map;
        }
        try {
            new JsonObject(text).forEach(entry -> map.put(entry.getKey(), String.valueOf(entry.getValue())));
        } catch (DecodeException e) {
            // A column this class wrote is always valid; tolerate hand edits.
        }
        return map;
    }

    static List<String> decodeList(String text) {
        List<String> list = new ArrayList<>();
        if (text == null) {
            return list;
        }
        try {
            new JsonArray(text).forEach(item -> list.add(String.valueOf(item)));
        } catch (DecodeException e) {
            // As above: tolerate a damaged column rather than fail every read.
        }
        return list;
    }
}
