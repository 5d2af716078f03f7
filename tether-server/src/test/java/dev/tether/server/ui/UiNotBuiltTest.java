package dev.tether.server.ui;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.ext.web.Router;
import java.net.URI;
import java.net.URL;
import java.net.URLClassLoader;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A server built without the web UI (no Node.js on the build machine, or {@code -DskipWeb}): its pages say how
 * to build the UI, and whatever is not a page of the UI is left to the API as before.
 */
class UiNotBuiltTest {

    private static final HttpClient HTTP = HttpClient.newHttpClient();

    private Vertx vertx;
    private int port;

    @BeforeEach
    void start() throws Exception {
        vertx = Vertx.vertx();
        // A class path without the UI's files, as in a server built without Node.js.
        WebAssets none = WebAssets.load(new URLClassLoader(new URL[0], null));
        assertThat(none.present()).isFalse();
        Router router = Router.router(vertx);
        new UiHandler(none).mount(router);
        router.route().handler(ctx -> ctx.response().setStatusCode(404).end("api 404"));
        HttpServer server = vertx.createHttpServer().requestHandler(router).listen(0, "127.0.0.1")
                .toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        port = server.actualPort();
    }

    @AfterEach
    void stop() throws Exception {
        vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }

    private HttpResponse<String> get(String path) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void thePagesSayTheUiIsNotBuiltAndHowToBuildIt() throws Exception {
        for (String page : new String[] {"/", "/agents", "/agents/web-1", "/sessions/0123"}) {
            HttpResponse<String> response = get(page);

            assertThat(response.statusCode()).as(page).isEqualTo(503);
            assertThat(response.body()).as(page).contains("web UI is not part of this build")
                    .contains("Node.js 20.19").contains("/api/v1 works without it");
        }
        assertThat(get("/api/v1/agents").body()).isEqualTo("api 404");
        assertThat(get("/assets/index-123.js").statusCode()).isEqualTo(404);
    }
}
