package dev.tether.server.auth;

/**
 * A signed-in browser, as stored in {@code browser_sessions}.
 *
 * @param idHash SHA-256 (lowercase hex) of the session id the cookie carries; the id itself is never stored
 * @param actor who signed in: {@code admin} for the admin token, else the user's name
 * @param tokenHash SHA-256 of the admin token used to sign in (the session ends when it is no longer accepted),
 *     or of the user's personal token
 * @param csrfToken what the UI must echo in {@value BrowserAuth#CSRF_HEADER} on state-changing requests
 * @param createdAt epoch millis
 * @param expiresAt epoch millis; the session is refused from then on
 * @param source the client's address at sign-in
 * @param userAgent the client's User-Agent at sign-in, cut to {@link #MAX_USER_AGENT} characters
 * @param userTokenId for a user's session, the id of the personal API token its cookie carries; null for the
 *     admin token's
 */
public record BrowserSession(String idHash, String actor, String tokenHash, String csrfToken, long createdAt,
        long expiresAt, String source, String userAgent, String userTokenId) {

    /** Longest User-Agent kept. */
    public static final int MAX_USER_AGENT = 256;

    /** Whether a user signed in (not the admin token): who it is then depends on the personal token. */
    public boolean ofUser() {
        return userTokenId != null;
    }

    public boolean expired(long nowMillis) {
        return nowMillis >= expiresAt;
    }
}
