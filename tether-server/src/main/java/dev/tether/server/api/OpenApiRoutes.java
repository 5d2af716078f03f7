package dev.tether.server.api;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpHeaders;
import io.vertx.ext.web.Router;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;

/**
 * {@code GET /api/v1/openapi.json}: the OpenAPI 3.1 description of every endpoint under {@code /api/v1}, a
 * hand-written resource in the server jar ({@code api/openapi.json}) read once at start. A test walks the
 * router's mounted routes and fails when the document and the routes disagree. Thread safe.
 */
final class OpenApiRoutes {

    static final String RESOURCE = "api/openapi.json";
    private final byte[] document;

    OpenApiRoutes() {
        try (InputStream in = OpenApiRoutes.class.getClassLoader().getResourceAsStream(RESOURCE)) {
            if (in == null) {
                throw new IllegalStateException(RESOURCE + " is missing from the server jar: rebuild it");
            }
            document = in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + RESOURCE, e);
        }
    }

    void mount(Router router) {
        router.get("/api/v1/openapi.json").handler(ctx -> ctx.response()
                .putHeader(HttpHeaders.CONTENT_TYPE, "application/json")
                .end(Buffer.buffer(document)));
    }
}
