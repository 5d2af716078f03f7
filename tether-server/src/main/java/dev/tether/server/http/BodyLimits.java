package dev.tether.server.http;

/**
 * The largest request body each path accepts, in bytes, checked by {@link RequestGuard} before any handler
 * reads a byte: sign-in and enrolment bodies are a few small JSON fields; the rest of {@code /api/v1} takes
 * documents up to {@link #API_BYTES} (a configuration is the largest); every other path (probes, metrics,
 * the web UI, the agent and terminal WebSockets) takes no body at all. A route added later inherits its
 * prefix's limit, so nothing is unbounded by omission. Stateless.
 */
public final class BodyLimits {

    /** A sign-in ({@code /api/v1/login}, {@code /api/v1/session}) or an enrolment: a name and a secret. */
    public static final int SIGN_IN_BYTES = 4 * 1024;
    /** Any other {@code /api/v1} body; leaves a configuration well under one protocol frame. */
    public static final int API_BYTES = 512 * 1024;
    /** Paths that take no body. */
    public static final int NONE = 0;

    private BodyLimits() {
    }

    /** The limit for a request to {@code path} (the URI's path, without the query). */
    public static int forPath(String path) {
        if (path.equals("/v1/agents/enroll") || path.equals("/api/v1/login") || path.equals("/api/v1/session")) {
            return SIGN_IN_BYTES;
        }
        return path.startsWith("/api/v1/") ? API_BYTES : NONE;
    }

    /** The path of a request target: {@code /a/b?x=1} gives {@code /a/b}; an absolute URI gives its path. */
    static String path(String uri) {
        String target = uri;
        int scheme = target.indexOf("://");
        if (scheme >= 0) {
            int slash = target.indexOf('/', scheme + 3);
            target = slash < 0 ? "/" : target.substring(slash);
        }
        int end = target.length();
        for (char stop : new char[] {'?', '#'}) {
            int at = target.indexOf(stop);
            if (at >= 0 && at < end) {
                end = at;
            }
        }
        return target.substring(0, end);
    }
}
