package dev.tether.server.testing;

import io.vertx.core.json.Json;
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
import org.awaitility.Awaitility;

/** A small REST client for tests: sends requests with or without the admin token. */
public final class Api {

    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private final String base;
    private final String token;

    public Api(int port, String token) {
        this.base = "http://127.0.0.1:" + port;
        this.token = token;
    }

    public Api withToken(String other) {
        return new Api(Integer.parseInt(base.substring(base.lastIndexOf(':') + 1)), other);
    }

    public Response get(String path) {
        return send("GET", path, null, null);
    }

    public Response post(String path, String json) {
        return send("POST", path, json, "application/json");
    }

    public Response put(String path, String json) {
        return send("PUT", path, json, "application/json");
    }

    public Response patch(String path, String json) {
        return send("PATCH", path, json, "application/json");
    }

    public Response delete(String path) {
        return send("DELETE", path, null, null);
    }

    public Response send(String method, String path, String body, String contentType) {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(base + path))
                .timeout(Duration.ofSeconds(10))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofString(body));
        if (token != null) {
            request.header("Authorization", "Bearer " + token);
        }
        if (contentType != null) {
            request.header("Content-Type", contentType);
        }
        try {
            HttpResponse<String> response = HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
            return new Response(response.statusCode(), response.body(),
                    response.headers().firstValue("Content-Type").orElse(""));
        } catch (IOException e) {
            throw new IllegalStateException(method + " " + path + " failed", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(method + " " + path + " interrupted", e);
        }
    }

    /** Enrols an agent and returns its id and key. */
    public Enrolled enrol(String name) {
        return enrol(name, new JsonObject());
    }

    /** Enrols an agent with these server-assigned labels. */
    public Enrolled enrol(String name, JsonObject labels) {
        Response response = post("/api/v1/agents", new JsonObject().put("name", name).put("labels", labels).encode());
        if (response.status() != 201) {
            throw new IllegalStateException("enrolling " + name + " failed: " + response);
        }
        return new Enrolled(response.json().getString("id"), name, response.json().getString("key"));
    }

    public record Enrolled(String id, String name, String key) {
    }

    /** Creates a user (this client must be an admin); {@code scope} may be null. Fails unless 201. */
    public void createUser(String name, String role, String scope, String password) {
        Response created = post("/api/v1/users", new JsonObject().put("name", name).put("role", role)
                .put("scope", scope).put("password", password).encode());
        if (created.status() != 201) {
            throw new AssertionError("creating user " + name + " failed: " + created);
        }
    }

    /** Signs in as a user with a password and returns the personal API token. Fails unless 201. */
    public String login(String user, String password) {
        Response response = withToken(null).post("/api/v1/login", new JsonObject().put("user", user)
                .put("password", password).encode());
        if (response.status() != 201) {
            throw new AssertionError("signing in as " + user + " failed: " + response);
        }
        return response.json().getString("token");
    }

    /** Creates a command; fails unless the server answers 201. */
    public JsonObject createCommand(JsonObject request) {
        Response response = post("/api/v1/commands", request.encode());
        if (response.status() != 201) {
            throw new AssertionError("creating the command failed: " + response);
        }
        return response.json();
    }

    /** An exec command of {@code argv} on these agents (ids or names). */
    public JsonObject exec(List<String> agents, String... argv) {
        return createCommand(new JsonObject().put("type", "exec").put("agents", new JsonArray(new ArrayList<>(agents)))
                .put("argv", new JsonArray(List.of((Object[]) argv))));
    }

    public JsonObject job(String jobId) {
        return ok(get("/api/v1/jobs/" + jobId));
    }

    public JsonObject command(String commandId) {
        return ok(get("/api/v1/commands/" + commandId));
    }

    /** Waits until the job is in {@code state}; returns it. */
    public JsonObject awaitJob(String jobId, String state) {
        Awaitility.await("job " + jobId + " " + state).atMost(Duration.ofSeconds(15))
                .pollInterval(Duration.ofMillis(20))
                .until(() -> state.equals(job(jobId).getString("state")));
        return job(jobId);
    }

    /** Waits until every job of the command is final and the command finished; returns it. */
    public JsonObject awaitFinished(String commandId) {
        Awaitility.await("command " + commandId + " finished").atMost(Duration.ofSeconds(30))
                .pollInterval(Duration.ofMillis(20))
                .until(() -> command(commandId).getString("finished_at") != null);
        return command(commandId);
    }

    /** The value of a metric line of /metrics, such as {@code tether_jobs_total{state="failed"}}; fails the test when the series is missing. */
    public double metric(String series) {
        for (String line : get("/metrics").body().split("\n")) {
            if (line.startsWith(series + " ")) {
                return Double.parseDouble(line.substring(series.length() + 1));
            }
        }
        // A missing series is a renamed or removed metric, never a zero: an assertion such as
        // "buffered <= window" must not pass because the number is gone.
        throw new AssertionError("no series " + series + " on /metrics");
    }

    private static JsonObject ok(Response response) {
        if (response.status() != 200) {
            throw new AssertionError("expected 200: " + response);
        }
        return response.json();
    }

    public record Response(int status, String body, String contentType) {

        public JsonObject json() {
            return new JsonObject(body);
        }

        public Object value() {
            return Json.decodeValue(body);
        }
    }
}
