package dev.tether.server.http;

import io.vertx.ext.web.Route;
import io.vertx.ext.web.Router;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Names a request path by the route template that serves it ({@code /api/v1/agents/some-id} →
 * {@code /api/v1/agents/:agent}), for metric labels and the access log: a label from this set can never grow
 * with what clients send. A template's {@code :name} segment matches any one non-empty segment; when several
 * templates match, the one with the most literal segments wins ({@code /a/new} over {@code /a/:id}). A path no
 * template matches is {@link #OTHER}.
 *
 * <p>Immutable; thread safe.
 */
public final class RouteTemplates {

    public static final String OTHER = "other";

    /** A template and its segments. */
    private record Template(String path, String[] segments) {
    }

    /** Templates by their number of segments. */
    private final Map<Integer, List<Template>> bySegments = new HashMap<>();

    private RouteTemplates(List<String> templates) {
        for (String template : templates) {
            String[] segments = template.split("/", -1);
            bySegments.computeIfAbsent(segments.length, n -> new ArrayList<>()).add(new Template(template, segments));
        }
    }

    /** The templates of the router's exact-path routes (prefix and catch-all routes are no template), and more. */
    public static RouteTemplates of(Router router, String... others) {
        Stream<String> routes = router.getRoutes().stream()
                .filter(route -> route.getPath() != null && route.isExactPath())
                .map(Route::getPath);
        return of(Stream.concat(routes, Stream.of(others)).distinct().toList());
    }

    public static RouteTemplates of(List<String> templates) {
        return new RouteTemplates(templates);
    }

    /**
     * The template serving {@code path} (a path without its query), or {@link #OTHER}: always the same instance
     * for a template, since an exchange kept for a WebSocket's lifetime keeps its route.
     */
    public String match(String path) {
        String[] segments = path.split("/", -1);
        Template best = null;
        int bestLiterals = -1;
        for (Template template : bySegments.getOrDefault(segments.length, List.of())) {
            int literals = literalsMatched(template.segments(), segments);
            if (literals > bestLiterals) {
                best = template;
                bestLiterals = literals;
            }
        }
        return best == null ? OTHER : best.path();
    }

    /** How many literal segments of {@code template} match, or -1 when it does not match. */
    private static int literalsMatched(String[] template, String[] segments) {
        int literals = 0;
        for (int i = 0; i < template.length; i++) {
            if (template[i].startsWith(":")) {
                if (segments[i].isEmpty()) {
                    return -1;
                }
            } else if (template[i].equals(segments[i])) {
                literals++;
            } else {
                return -1;
            }
        }
        return literals;
    }
}
