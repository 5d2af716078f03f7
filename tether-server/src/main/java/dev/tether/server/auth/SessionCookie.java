package dev.tether.server.auth;

import io.vertx.core.http.Cookie;
import io.vertx.core.http.CookieSameSite;
import io.vertx.core.http.HttpServerRequest;
import java.time.Duration;

/**
 * The web UI's session cookie: {@code HttpOnly} (scripts cannot read it),
 * {@code SameSite=Strict} (no other site's page makes the browser send it),
 * {@code Path=/}, and {@code Secure} when the connection is HTTPS (this server's
 * TLS, or a proxy's that says so with {@code X-Forwarded-Proto: https}). Over
 * TLS it is named {@value #SECURE_NAME}: the {@code __Host-} prefix makes the
 * browser refuse it unless it is Secure, host-only and for {@code /}. Stateless.
 */
public final class SessionCookie {

    public static final String NAME = "tether_session";
    public static final String SECURE_NAME = "__Host-tether_session";

    private SessionCookie() {
    }

    /** The session id the request's cookie carries, or null. */
    public static String read(HttpServerRequest request, boolean tls) {
        Cookie cookie = request.getCookie(tls ? SECURE_NAME : NAME);
        if (cookie == null && !tls) {
            cookie = request.getCookie(SECURE_NAME);
        }
        return cookie == null || cookie.getValue().isEmpty() ? null : cookie.getValue();
    }

    /** The cookie that signs this browser in with session {@code id} for {@code maxAge}. */
    public static Cookie signIn(HttpServerRequest request, boolean tls, String id, Duration maxAge) {
        return base(request, tls, id).setMaxAge(maxAge.toSeconds());
    }

    /** The cookie that makes the browser forget its session. */
    public static Cookie signOut(HttpServerRequest request, boolean tls) {
        return base(request, tls, "").setMaxAge(0);
    }

    private static Cookie base(HttpServerRequest request, boolean tls, String value) {
        boolean secure = tls || "https".equalsIgnoreCase(request.getHeader("X-Forwarded-Proto"));
        return Cookie.cookie(secure ? SECURE_NAME : NAME, value)
                .setPath("/")
                .setHttpOnly(true)
                .setSecure(secure)
                .setSameSite(CookieSameSite.STRICT);
    }
}
