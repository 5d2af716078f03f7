package dev.tether.cli.e2e;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/** The REST API as a test sees it: plain HTTP calls with the admin token. */
final class ServerApi {

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private final URI base;
    private final String token;

    ServerApi(URI base, String token) {
        this.base = base;
        this.token = token;
    }

    record Response(int status, String body) {
        JsonObject json() {
            return new JsonObject(body);
        }
    }

    Response call(String method, String path, String body) throws IOException, InterruptedException {
        HttpRequest.Builder request = HttpRequest.newBuilder(base.resolve(path))
                .timeout(Duration.ofSeconds(10))
                .header("Authorization", "Bearer " + token)
                .header("Content-Type", "application/json")
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        HttpResponse<String> response = http.send(request.build(), HttpResponse.BodyHandlers.ofString());
        return new Response(response.statusCode(), response.body());
    }

    JsonObject ok(String method, String path, String body) throws IOException, InterruptedException {
        Response response = call(method, path, body);
        if (response.status() / 100 != 2) {
            throw new AssertionError(method + " " + path + " → " + response.status() + " " + response.body());
        }
        return response.json();
    }

    /** Creates an agent; returns {id, name, key}. */
    JsonObject createAgent(String name, JsonObject labels) throws IOException, InterruptedException {
        return ok("POST", "/api/v1/agents", new JsonObject().put("name", name).put("labels", labels).encode());
    }

    JsonObject agent(String id) throws IOException, InterruptedException {
        return ok("GET", "/api/v1/agents/" + id, null);
    }

    /** The value of one series of /metrics, such as {@code tether_shell_buffered_peak_bytes}; fails the test when the series is missing. */
    double metric(String series) throws IOException, InterruptedException {
        for (String line : call("GET", "/metrics", null).body().split("\n")) {
            if (line.startsWith(series + " ")) {
                return Double.parseDouble(line.substring(series.length() + 1));
            }
        }
        // A missing series is a renamed or removed metric, never a zero: an assertion such as
        // "buffered <= window" must not pass because the number is gone.
        throw new AssertionError("no series " + series + " on /metrics");
    }

    String status(String id) throws IOException, InterruptedException {
        return agent(id).getString("status");
    }

    /** Every event of one type, oldest first, following the newest-first pages to the end. */
    List<JsonObject> events(String agentId, String type) throws IOException, InterruptedException {
        List<JsonObject> newestFirst = new ArrayList<>();
        Object before = null;
        do {
            String path = "/api/v1/agents/" + agentId + "/events?limit=500&type=" + type + (before == null ? "" : "&before=" + before);
            JsonObject page = ok("GET", path, null);
            JsonArray events = page.getJsonArray("events");
            events.forEach(e -> newestFirst.add((JsonObject) e));
            before = page.getValue("next_before");
        } while (before != null);
        List<JsonObject> oldestFirst = new ArrayList<>(newestFirst);
        java.util.Collections.reverse(oldestFirst);
        return oldestFirst;
    }
}
