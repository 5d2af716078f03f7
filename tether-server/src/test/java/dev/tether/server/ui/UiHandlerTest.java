package dev.tether.server.ui;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tether.server.testing.RequiredTool;
import dev.tether.server.testing.TestDatabase;
import dev.tether.server.testing.TestServer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The web UI as the server serves it: files, caching headers, the single-page fallback, the API left alone. */
class UiHandlerTest {

    private static final HttpClient HTTP = HttpClient.newHttpClient();

    @TempDir
    Path dir;
    private TestServer server;
    private WebAssets assets;

    @BeforeEach
    void start() throws Exception {
        assets = WebAssets.load(getClass().getClassLoader());
        RequiredTool.require(assets.present(), "UiHandlerTest",
                "the web UI was not built (-DskipWeb, or no Node.js 20.19+ with npm): nothing to serve");
        server = TestServer.start(dir, TestDatabase.SQLITE, Duration.ofSeconds(30));
    }

    @AfterEach
    void stop() {
        if (server != null) {
            server.close();
        }
    }

    private HttpResponse<String> get(String path, String... headers) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + path));
        for (int i = 0; i < headers.length; i += 2) {
            request.header(headers[i], headers[i + 1]);
        }
        return HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    private String firstAsset() {
        for (String path : new String[] {"/index.html"}) {
            assertThat(assets.get(path)).isPresent();
        }
        String index = new String(assets.index().orElseThrow().body());
        int start = index.indexOf("/assets/");
        return index.substring(start, index.indexOf('"', start));
    }

    @Test
    void rootServesThePageRevalidatedOnEveryLoadWithAStrictPolicy() throws Exception {
        HttpResponse<String> page = get("/");

        assertThat(page.statusCode()).isEqualTo(200);
        assertThat(page.headers().firstValue("content-type")).hasValue("text/html; charset=utf-8");
        assertThat(page.headers().firstValue("cache-control")).hasValue("no-cache");
        assertThat(page.headers().firstValue("content-security-policy").orElseThrow()).contains("default-src 'self'")
                .contains("frame-ancestors 'none'");
        assertThat(page.headers().firstValue("x-content-type-options")).hasValue("nosniff");
        assertThat(page.body()).contains("<div id=\"app\">");
        String etag = page.headers().firstValue("etag").orElseThrow();
        assertThat(get("/", "If-None-Match", etag).statusCode()).isEqualTo(304);
    }

    @Test
    void hashedAssetsAreCachedForAYearAndServedCompressed() throws Exception {
        String asset = firstAsset();

        HttpResponse<String> plain = get(asset);
        HttpResponse<byte[]> gzip = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port()
                + asset)).header("Accept-Encoding", "gzip").build(), HttpResponse.BodyHandlers.ofByteArray());

        assertThat(plain.statusCode()).isEqualTo(200);
        assertThat(plain.headers().firstValue("cache-control")).hasValue(UiHandler.IMMUTABLE);
        assertThat(gzip.headers().firstValue("content-encoding")).hasValue("gzip");
        assertThat(gzip.body().length).isLessThan(plain.body().length());
    }

    @Test
    void appRoutesFallBackToThePageButMissingAssetsAndTheApiDoNot() throws Exception {
        assertThat(get("/agents/web-1.example.com").body()).contains("<div id=\"app\">");
        assertThat(get("/sessions/0123").statusCode()).isEqualTo(200);
        assertThat(get("/assets/missing-123.js").statusCode()).isEqualTo(404);
        assertThat(get("/not-an-app-page").statusCode()).isEqualTo(404);
        HttpResponse<String> api = get("/api/v1/nothing-here");
        assertThat(api.statusCode()).isEqualTo(401);
        assertThat(get("/api/v1/nothing-here", "Authorization", "Bearer " + TestServer.ADMIN_TOKEN).body())
                .contains("\"error\":\"not_found\"");
        assertThat(get("/metrics").body()).doesNotContain("<div id=\"app\">");
    }
}
