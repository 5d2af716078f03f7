package dev.tether.cli.ops;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.Locale;

/**
 * A server's base URL ({@code http(s)://host[:port][/path]}), and whether two spellings name the same server:
 * scheme and host compared without case, the default port filled in, a trailing slash ignored. A saved
 * profile's token is only sent to the server whose URL is the same in this sense. Stateless.
 */
final class ServerUrl {

    private ServerUrl() {
    }

    /**
     * The URL without a trailing slash.
     *
     * @throws IllegalArgumentException when it is not an http or https URL with a host, naming {@code source}
     */
    static URI parse(String url, String source) {
        URI uri;
        try {
            uri = new URI(url.endsWith("/") ? url.substring(0, url.length() - 1) : url);
        } catch (URISyntaxException e) {
            throw notAServer(url, source, " (" + e.getReason() + ")");
        }
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
        if (!scheme.equals("http") && !scheme.equals("https") || uri.getHost() == null) {
            throw notAServer(url, source, "");
        }
        if (uri.getRawQuery() != null || uri.getRawFragment() != null || uri.getRawUserInfo() != null) {
            throw new IllegalArgumentException(source + " '" + url + "' must not carry a user, a query or a "
                    + "fragment: write it as https://HOST[:PORT]");
        }
        return uri;
    }

    private static IllegalArgumentException notAServer(String url, String source, String reason) {
        return new IllegalArgumentException(source + " '" + url + "' is not a server URL" + reason + ": write it as "
                + "https://HOST[:PORT] (or http:// for a server on a trusted network)");
    }

    /** Whether {@code a} and {@code b} (both parsed) name the same server. */
    static boolean same(URI a, URI b) {
        return key(a).equals(key(b));
    }

    private static String key(URI uri) {
        String scheme = uri.getScheme().toLowerCase(Locale.ROOT);
        int port = uri.getPort() != -1 ? uri.getPort() : scheme.equals("https") ? 443 : 80;
        String path = uri.getRawPath() == null ? "" : uri.getRawPath().replaceAll("/+$", "");
        return scheme + "://" + uri.getHost().toLowerCase(Locale.ROOT) + ":" + port + path;
    }
}
