package dev.tether.server.auth;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.Locale;

/**
 * Whether a browser request comes from a page this server served: its
 * {@code Origin} names the host and port the request was sent to (its
 * {@code Host}). Browsers set {@code Origin} themselves on every WebSocket
 * upgrade and every non-GET fetch, and a page cannot forge it, so a page of
 * another site (or of another port on the same host) is told apart.
 *
 * <p>Rules: the Origin must be an {@code http} or {@code https} origin (not
 * {@code null}); its host must equal the Host header's, case-insensitively; its
 * port (or its scheme's default) must equal the Host header's port (or, when
 * the Host header has none, the Origin scheme's default, so a TLS-terminating
 * proxy in front of a plain-HTTP server passes); and when this server itself
 * serves TLS the Origin must be {@code https}. Stateless.
 */
public final class SameOrigin {

    private SameOrigin() {
    }

    /** Whether {@code origin} (the Origin header) matches {@code host} (the Host header) by the rules above. */
    public static boolean matches(String origin, String host, boolean tls) {
        if (origin == null || host == null || host.isBlank()) {
            return false;
        }
        URI from;
        URI to;
        try {
            from = new URI(origin.trim());
            to = new URI("http://" + host.trim());
        } catch (URISyntaxException e) {
            return false;
        }
        String scheme = from.getScheme() == null ? "" : from.getScheme().toLowerCase(Locale.ROOT);
        if (!scheme.equals("https") && !(scheme.equals("http") && !tls)) {
            return false;
        }
        if (!bareAuthority(from) || !bareAuthority(to)) {
            return false;
        }
        int defaultPort = scheme.equals("https") ? 443 : 80;
        int fromPort = from.getPort() == -1 ? defaultPort : from.getPort();
        int toPort = to.getPort() == -1 ? defaultPort : to.getPort();
        return from.getHost().equalsIgnoreCase(to.getHost()) && fromPort == toPort;
    }

    /** A host and maybe a port, nothing else: an origin has no user, path, query or fragment. */
    private static boolean bareAuthority(URI uri) {
        return uri.getHost() != null && uri.getRawUserInfo() == null && (uri.getRawPath() == null
                || uri.getRawPath().isEmpty()) && uri.getRawQuery() == null && uri.getRawFragment() == null;
    }
}
