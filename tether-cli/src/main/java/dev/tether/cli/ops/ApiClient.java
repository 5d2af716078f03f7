package dev.tether.cli.ops;

import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

/** A small blocking client of the REST API. The token is sent, never printed. */
public final class ApiClient {

    private static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(30);

    private final URI base;
    private final String token;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

    ApiClient(URI base, String token) {
        this.base = base;
        this.token = token;
    }

    public JsonObject get(String path) {
        return send(request(path).GET());
    }

    public JsonObject post(String path, JsonObject body) {
        return send(request(path).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body.encode())));
    }

    public JsonObject put(String path, String jsonBody) {
        return send(request(path).header("Content-Type", "application/json")
                .PUT(HttpRequest.BodyPublishers.ofString(jsonBody)));
    }

    /**
     * Follows a Server-Sent Events stream until the server ends it or the
     * consumer returns false.
     */
    public void stream(String path, String lastEventId, java.util.function.Predicate<ServerSentEvents.Event> consumer) {
        HttpRequest.Builder builder = HttpRequest.newBuilder(base.resolve(path))
                .header("Authorization", "Bearer " + token)
                .header("Accept", "text/event-stream");
        if (lastEventId != null) {
            builder.header("Last-Event-ID", lastEventId);
        }
        HttpResponse<java.util.stream.Stream<String>> response;
        try {
            response = http.send(builder.GET().build(), HttpResponse.BodyHandlers.ofLines());
        } catch (ConnectException e) {
            throw new ApiException(0, "cannot reach the server at " + base + ": is it running? (set --url or TETHER_URL)");
        } catch (IOException e) {
            throw new ApiException(0, "request to " + base + " failed: " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ApiException(0, "interrupted");
        }
        try (java.util.stream.Stream<String> lines = response.body()) {
            if (response.statusCode() >= 400) {
                String body = String.join("\n", (Iterable<String>) lines::iterator);
                String message = parse(body).getString("message", body);
                throw new ApiException(response.statusCode(),
                        message + " (HTTP " + response.statusCode() + hint(response.statusCode()) + ")");
            }
            boolean[] more = {true};
            ServerSentEvents parser = new ServerSentEvents(event -> more[0] = more[0] && consumer.test(event));
            java.util.Iterator<String> it = lines.iterator();
            while (more[0] && it.hasNext()) {
                parser.line(it.next());
            }
        } catch (java.io.UncheckedIOException e) {
            throw new ApiException(0, "the event stream from " + base + " broke: " + e.getCause().getMessage());
        }
    }

    private HttpRequest.Builder request(String path) {
        return HttpRequest.newBuilder(base.resolve(path))
                .timeout(REQUEST_TIMEOUT)
                .header("Authorization", "Bearer " + token)
                .header("Accept", "application/json");
    }

    private JsonObject send(HttpRequest.Builder builder) {
        HttpRequest request = builder.build();
        HttpResponse<String> response;
        try {
            response = http.send(request, HttpResponse.BodyHandlers.ofString());
        } catch (ConnectException e) {
            throw new ApiException(0, "cannot reach the server at " + base + ": is it running? (set --url or TETHER_URL)");
        } catch (IOException e) {
            throw new ApiException(0, "request to " + base + " failed: " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ApiException(0, "interrupted");
        }
        JsonObject body = parse(response.body());
        if (response.statusCode() >= 400) {
            String message = body.getString("message", response.body());
            throw new ApiException(response.statusCode(),
                    message + " (HTTP " + response.statusCode() + hint(response.statusCode()) + ")");
        }
        return body;
    }

    private static String hint(int status) {
        return status == 401 ? "; check TETHER_TOKEN or --token" : "";
    }

    private static JsonObject parse(String body) {
        if (body == null || body.isBlank()) {
            return new JsonObject();
        }
        try {
            return new JsonObject(body);
        } catch (DecodeException e) {
            return new JsonObject().put("message", body.strip());
        }
    }
}
