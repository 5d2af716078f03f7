package dev.tether.server.auth;

/**
 * A signed-in browser, as stored in {@code browser_sessions}.
 *
 * @param idHash SHA-256 (lowercase hex) of the session id the cookie carries; the id itself is never stored
 * @param actor who signed in ({@code admin} for the admin token)
 * @param tokenHash SHA-256 of the admin token used to sign in; the session ends when it is no longer accepted
 * @param csrfToken what the UI must echo in {@value BrowserAuth#CSRF_HEADER} on state-changing requests
 * @param createdAt epoch millis
 * @param expiresAt epoch millis; the session is refused from then on
 * @param source the client's address at sign-in
 * @param userAgent the client's User-Agent at sign-in, cut to {@link #MAX_USER_AGENT} characters
 */
public record BrowserSession(String idHash, String actor, String tokenHash, String csrfToken, long createdAt,
        long expiresAt, String source, String userAgent) {

    /** Longest User-Agent kept. */
    public static final int MAX_USER_AGENT = 256;

    public boolean expired(long nowMillis) {
        return nowMillis >= expiresAt;
    }
}
