package dev.tether.server.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.SoftAssertions.assertSoftly;

import dev.tether.server.shell.ShellEndpoint;
import dev.tether.server.testing.Api.Response;
import dev.tether.server.testing.TestDatabase;
import dev.tether.server.testing.TestServer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Route;
import io.vertx.ext.web.Router;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The OpenAPI document is true: it lists exactly the operations the server's router mounts under
 * {@code /api/v1} (walked through {@link Router#getRoutes()}), its WebSocket operations are the terminal
 * endpoint's, every path parameter is declared and every reference resolves.
 */
class OpenApiDocumentTest {

    private static final Set<String> HTTP_METHODS = Set.of("get", "put", "post", "delete", "options", "head",
            "patch", "trace");
    private static final Pattern PATH_PARAMETER = Pattern.compile("\\{([^}]+)}");
    @TempDir
    static Path dir;
    private static TestServer server;
    private static JsonObject document;

    @BeforeAll
    static void start() throws Exception {
        server = TestServer.start(dir, TestDatabase.SQLITE, Duration.ofSeconds(30));
        try (InputStream in = OpenApiRoutes.class.getClassLoader().getResourceAsStream(OpenApiRoutes.RESOURCE)) {
            document = new JsonObject(new String(in.readAllBytes(), StandardCharsets.UTF_8));
        }
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    /** "METHOD /path/{param}" for every route with methods whose path starts with /api/v1. */
    static Set<String> mounted(Router router) {
        Set<String> operations = new TreeSet<>();
        for (Route route : router.getRoutes()) {
            String path = route.getPath();
            if (path == null || !path.startsWith("/api/v1") || route.methods() == null || route.methods().isEmpty()) {
                continue;
            }
            for (HttpMethod method : route.methods()) {
                operations.add(method.name() + " " + path.replaceAll(":([A-Za-z0-9_]+)", "{$1}"));
            }
        }
        return operations;
    }

    /** "METHOD /path" for every operation of the document; WebSocket operations only when {@code webSockets}. */
    static Set<String> documented(JsonObject document, boolean webSockets) {
        Set<String> operations = new TreeSet<>();
        JsonObject paths = document.getJsonObject("paths");
        for (String path : paths.fieldNames()) {
            JsonObject item = paths.getJsonObject(path);
            for (String method : item.fieldNames()) {
                if (HTTP_METHODS.contains(method)
                        && item.getJsonObject(method).getBoolean("x-websocket", false) == webSockets) {
                    operations.add(method.toUpperCase(Locale.ROOT) + " " + path);
                }
            }
        }
        return operations;
    }

    @Test
    void theDocumentListsExactlyTheOperationsMountedUnderApiV1() {
        Set<String> mounted = mounted(server.router());
        Set<String> documented = documented(document, false);

        Set<String> undocumented = new TreeSet<>(mounted);
        undocumented.removeAll(documented);
        Set<String> notMounted = new TreeSet<>(documented);
        notMounted.removeAll(mounted);
        assertThat(mounted).as("the router's routes were read").contains("GET /api/v1/agents",
                "PATCH /api/v1/agents/{agent}", "DELETE /api/v1/agents/{agent}");
        assertSoftly(soft -> {
            soft.assertThat(undocumented).as("mounted but missing from openapi.json").isEmpty();
            soft.assertThat(notMounted).as("in openapi.json but not mounted").isEmpty();
        });
    }

    @Test
    void webSocketOperationsAreTheTerminalEndpointNotTheRouters() {
        Set<String> webSockets = documented(document, true);

        assertThat(webSockets).containsExactly("GET /api/v1/agents/{agent}/shell");
        for (String operation : webSockets) {
            String example = operation.substring(operation.indexOf(' ') + 1).replaceAll("\\{[^}]+}", "x");
            assertThat(ShellEndpoint.matches(example)).as(operation).isTrue();
            assertThat(mounted(server.router())).doesNotContain(operation);
        }
    }

    @Test
    void everyPathParameterIsDeclaredAndEveryOperationSaysItsResponses() {
        JsonObject paths = document.getJsonObject("paths");
        for (String path : paths.fieldNames()) {
            List<String> inPath = new ArrayList<>();
            Matcher parameter = PATH_PARAMETER.matcher(path);
            while (parameter.find()) {
                inPath.add(parameter.group(1));
            }
            JsonObject item = paths.getJsonObject(path);
            for (String method : item.fieldNames()) {
                JsonObject operation = item.getJsonObject(method);
                List<String> declared = new ArrayList<>();
                operation.getJsonArray("parameters", new JsonArray()).forEach(p -> {
                    JsonObject declaration = (JsonObject) p;
                    if ("path".equals(declaration.getString("in"))) {
                        declared.add(declaration.getString("name"));
                        assertThat(declaration.getBoolean("required")).as(method + " " + path).isTrue();
                    }
                });
                assertThat(declared).as(method + " " + path + " path parameters")
                        .containsExactlyInAnyOrderElementsOf(inPath);
                assertThat(operation.getJsonObject("responses").fieldNames()).as(method + " " + path).isNotEmpty();
                assertThat(operation.getString("summary")).as(method + " " + path).isNotBlank();
            }
        }
    }

    @Test
    void everyReferenceResolves() {
        Matcher ref = Pattern.compile("\"\\$ref\":\"#/components/(schemas|responses)/([^\"]+)\"")
                .matcher(document.encode());
        int count = 0;
        while (ref.find()) {
            count++;
            assertThat(document.getJsonObject("components").getJsonObject(ref.group(1)).containsKey(ref.group(2)))
                    .as(ref.group()).isTrue();
        }
        assertThat(count).isGreaterThan(50);
    }

    @Test
    void theServerServesTheDocumentToAnySignedInCaller() throws IOException {
        Response served = server.api().get("/api/v1/openapi.json");

        assertThat(served.status()).isEqualTo(200);
        assertThat(served.contentType()).startsWith("application/json");
        assertThat(served.json()).isEqualTo(document);
        assertThat(document.getString("openapi")).isEqualTo("3.1.0");
        assertThat(server.api().withToken(null).get("/api/v1/openapi.json").status()).isEqualTo(401);
    }
}
