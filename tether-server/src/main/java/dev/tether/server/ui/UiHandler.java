package dev.tether.server.ui;

import dev.tether.server.ui.WebAssets.Asset;
import io.vertx.core.Handler;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.util.Optional;
import java.util.Set;

/**
 * Serves the web UI at {@code /}: its files by path, and {@code index.html} for
 * the single-page app's own routes ({@link #APP_ROUTES}: {@code /agents/web-1},
 * {@code /sessions/ID}...), so a reload or a shared link lands on the same page.
 * Anything else falls through to the API's JSON 404.
 *
 * <p>Caching: files under {@code /assets/} have content hashes in their names
 * and are cached for a year as immutable; everything else (the page itself)
 * is revalidated on every load ({@code no-cache} with an ETag, 304 when it did
 * not change), so a new server version is picked up at once. Every reply
 * carries a strict Content-Security-Policy: scripts, styles, fonts and
 * connections only from this server (WebAssembly compilation is allowed for
 * the session player; inline styles for the terminal), and no framing.
 *
 * <p>Thread safe: the assets are immutable.
 */
public final class UiHandler implements Handler<RoutingContext> {

    /** First path segments the browser app routes itself (src/main/web/src/shell.js); "" is {@code /}. */
    static final Set<String> APP_ROUTES = Set.of("", "agents", "run", "terminals", "sessions", "audit");
    static final String IMMUTABLE = "public, max-age=31536000, immutable";
    static final String REVALIDATE = "no-cache";
    static final String CONTENT_SECURITY_POLICY = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; "
            + "style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; connect-src 'self'; "
            + "worker-src 'self' blob:; object-src 'none'; base-uri 'none'; form-action 'self'; "
            + "frame-ancestors 'none'";
    private static final String NOT_BUILT = "Tether's web UI is not part of this build. Build the server with "
            + "./mvnw (it needs Node.js 20.19 or newer and npm on the PATH); the REST API under /api/v1 works without it.\n";

    private final WebAssets assets;

    public UiHandler(WebAssets assets) {
        this.assets = assets;
    }

    /** Mounts the UI for GET and HEAD; call last, after every other route. */
    public void mount(Router router) {
        router.route().method(HttpMethod.GET).method(HttpMethod.HEAD).handler(this);
    }

    @Override
    public void handle(RoutingContext ctx) {
        String path = ctx.normalizedPath();
        Optional<Asset> asset = assets.get(path);
        if (asset.isEmpty() && APP_ROUTES.contains(firstSegment(path))) {
            if (!assets.present()) {
                send(ctx, 503, "text/plain; charset=utf-8", NOT_BUILT);
                return;
            }
            asset = assets.index();
        }
        if (asset.isEmpty()) {
            ctx.next();
            return;
        }
        serve(ctx, asset.get());
    }

    private static void serve(RoutingContext ctx, Asset asset) {
        HttpServerResponse response = ctx.response();
        securityHeaders(response);
        response.putHeader(HttpHeaders.CACHE_CONTROL, asset.path().startsWith("/assets/") ? IMMUTABLE : REVALIDATE)
                .putHeader(HttpHeaders.ETAG, asset.etag())
                .putHeader(HttpHeaders.CONTENT_TYPE, asset.contentType())
                .putHeader(HttpHeaders.VARY, HttpHeaders.ACCEPT_ENCODING);
        if (asset.etag().equals(ctx.request().getHeader(HttpHeaders.IF_NONE_MATCH))) {
            response.setStatusCode(304).end();
            return;
        }
        byte[] body = asset.body();
        if (asset.gzip() != null && acceptsGzip(ctx.request().getHeader(HttpHeaders.ACCEPT_ENCODING))) {
            response.putHeader(HttpHeaders.CONTENT_ENCODING, "gzip");
            body = asset.gzip();
        }
        if (ctx.request().method() == HttpMethod.HEAD) {
            response.putHeader(HttpHeaders.CONTENT_LENGTH, Integer.toString(body.length)).end();
        } else {
            response.end(Buffer.buffer(body));
        }
    }

    private static String firstSegment(String path) {
        int end = path.indexOf('/', 1);
        return path.substring(1, end < 0 ? path.length() : end);
    }

    private static void send(RoutingContext ctx, int status, String type, String text) {
        securityHeaders(ctx.response());
        ctx.response().setStatusCode(status).putHeader(HttpHeaders.CONTENT_TYPE, type)
                .putHeader(HttpHeaders.CACHE_CONTROL, REVALIDATE).end(text);
    }

    private static void securityHeaders(HttpServerResponse response) {
        response.putHeader("Content-Security-Policy", CONTENT_SECURITY_POLICY)
                .putHeader("X-Content-Type-Options", "nosniff")
                .putHeader("X-Frame-Options", "DENY")
                .putHeader("Referrer-Policy", "same-origin");
    }

    static boolean acceptsGzip(String acceptEncoding) {
        if (acceptEncoding == null) {
            return false;
        }
        for (String part : acceptEncoding.split(",")) {
            String[] coding = part.strip().split(";");
            if (coding[0].strip().equalsIgnoreCase("gzip")) {
                return coding.length < 2 || !coding[1].replace(" ", "").equals("q=0");
            }
        }
        return false;
    }
}
