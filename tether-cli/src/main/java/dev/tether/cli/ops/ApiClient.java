package dev.tether.cli.ops;

import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.net.http.WebSocketHandshakeException;
import java.util.concurrent.CompletionException;
import java.time.Duration;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLHandshakeException;

/**
 * A small blocking client of the REST API. The token is sent, never printed. Over https it trusts the JDK's
 * public roots, or, given a CA file's {@link SSLContext}, only that file's certificates. Thread-safe.
 */
public final class ApiClient {

    private static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(30);

    private final URI base;
    private final String token;
    /** The CA file trusted instead of the JDK's roots and where it was given, for messages; null: the roots. */
    private final String caFile;
    private final HttpClient http;

    ApiClient(URI base, String token, SSLContext trust, String caFile) {
        this.base = base;
        this.token = token;
        this.caFile = caFile;
        HttpClient.Builder builder = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10));
        this.http = (trust == null ? builder : builder.sslContext(trust)).build();
    }

    /** The server this client talks to. */
    URI base() {
        return base;
    }

    public JsonObject get(String path) {
        return send(request(path).GET());
    }

    public JsonObject post(String path, JsonObject body) {
        return send(request(path).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body.encode())));
    }

    public JsonObject patch(String path, JsonObject body) {
        return send(request(path).header("Content-Type", "application/json")
                .method("PATCH", HttpRequest.BodyPublishers.ofString(body.encode())));
    }

    public JsonObject delete(String path) {
        return send(request(path).DELETE());
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
        HttpResponse<java.util.stream.Stream<String>> response = exchange(builder.GET().build(),
                HttpResponse.BodyHandlers.ofLines());
        try (java.util.stream.Stream<String> lines = response.body()) {
            if (response.statusCode() >= 400) {
                throw error(response.statusCode(), String.join("\n", (Iterable<String>) lines::iterator));
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

    /**
     * Writes a body into {@code target}, an existing empty file (the caller creates it with the permissions it
     * wants), waiting up to {@code timeout} for the server to start answering; errors as for the JSON calls.
     *
     * @return the bytes saved
     */
    public long download(String path, java.nio.file.Path target, Duration timeout) {
        HttpResponse<java.io.InputStream> response = exchange(request(path).timeout(timeout).header("Accept", "*/*")
                .GET().build(), HttpResponse.BodyHandlers.ofInputStream());
        try (java.io.InputStream body = response.body()) {
            if (response.statusCode() >= 400) {
                throw error(response.statusCode(),
                        new String(body.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8));
            }
            try (java.io.OutputStream out = java.nio.file.Files.newOutputStream(target,
                    java.nio.file.StandardOpenOption.WRITE)) {
                return body.transferTo(out);
            }
        } catch (IOException e) {
            throw new ApiException(0, "download from " + base + " broke: " + e.getMessage());
        }
    }

    /** A body that is not JSON (a recording), as text; errors as for the JSON calls. */
    public String getText(String path) {
        HttpResponse<String> response = exchange(request(path).header("Accept", "*/*").GET().build());
        if (response.statusCode() >= 400) {
            throw error(response);
        }
        return response.body();
    }

    /**
     * Opens a WebSocket to {@code pathAndQuery} on the server (ws:// or wss:// after the URL's scheme),
     * authenticated with the token.
     *
     * @throws ApiException when the server refuses the upgrade (with its message) or cannot be reached
     */
    public WebSocket openWebSocket(String pathAndQuery, WebSocket.Listener listener) {
        String scheme = "https".equalsIgnoreCase(base.getScheme()) ? "wss" : "ws";
        URI uri = URI.create(scheme + "://" + base.getRawAuthority() + pathAndQuery);
        try {
            return http.newWebSocketBuilder()
                    .header("Authorization", "Bearer " + token)
                    .connectTimeout(Duration.ofSeconds(10))
                    .buildAsync(uri, listener)
                    .join();
        } catch (CompletionException e) {
            if (e.getCause() instanceof WebSocketHandshakeException refused) {
                // The JDK keeps no body of a refused upgrade: the same request without the upgrade
                // gets the same refusal, with its message.
                HttpResponse<String> response = exchange(request(pathAndQuery).GET().build());
                throw response.statusCode() >= 400 ? error(response) : new ApiException(
                        refused.getResponse().statusCode(), "the server refused the WebSocket upgrade (HTTP "
                                + refused.getResponse().statusCode() + ")");
            }
            if (e.getCause() instanceof SSLHandshakeException handshake) {
                throw untrusted(handshake);
            }
            throw new ApiException(0, "cannot reach the server at " + base + ": " + e.getCause().getMessage()
                    + " (set --url or TETHER_URL)");
        }
    }

    private HttpResponse<String> exchange(HttpRequest request) {
        return exchange(request, HttpResponse.BodyHandlers.ofString());
    }

    /** Sends {@code request}; a server that cannot be reached or a broken request is an {@link ApiException}. */
    private <T> HttpResponse<T> exchange(HttpRequest request, HttpResponse.BodyHandler<T> body) {
        try {
            return http.send(request, body);
        } catch (ConnectException e) {
            throw new ApiException(0, "cannot reach the server at " + base + ": is it running? (set --url or TETHER_URL)");
        } catch (SSLHandshakeException e) {
            throw untrusted(e);
        } catch (IOException e) {
            throw new ApiException(0, "request to " + base + " failed: " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ApiException(0, "interrupted");
        }
    }

    /** A TLS handshake that failed, most often over a certificate this client does not trust: says what to do. */
    private ApiException untrusted(SSLHandshakeException e) {
        Throwable root = e;
        while (root.getCause() != null) {
            root = root.getCause();
        }
        return new ApiException(0, "TLS handshake with " + base + " failed: " + root.getMessage() + (caFile == null
                ? ". If a private CA signed the server's certificate, pass --ca-file FILE with that CA's PEM "
                        + "certificate (or set TETHER_CA_FILE, or save it with tether login --ca-file FILE)"
                : ". Is the server's certificate signed by a CA in " + caFile + "?"));
    }

    private ApiException error(HttpResponse<String> response) {
        return error(response.statusCode(), response.body());
    }

    /** The server's message from an error body (JSON, or plain text), with the status. */
    private static ApiException error(int status, String body) {
        return new ApiException(status, parse(body).getString("message", body) + " (HTTP " + status + hint(status)
                + ")");
    }

    private HttpRequest.Builder request(String path) {
        HttpRequest.Builder builder = HttpRequest.newBuilder(base.resolve(path))
                .timeout(REQUEST_TIMEOUT)
                .header("Accept", "application/json");
        return token == null ? builder : builder.header("Authorization", "Bearer " + token);
    }

    private JsonObject send(HttpRequest.Builder builder) {
        HttpResponse<String> response = exchange(builder.build());
        if (response.statusCode() >= 400) {
            throw error(response);
        }
        return parse(response.body());
    }

    private static String hint(int status) {
        return status == 401 ? "; check TETHER_TOKEN or --token-file, or sign in again with tether login" : "";
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
