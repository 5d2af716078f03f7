package dev.tether.server.auth;

import dev.tether.server.store.Database;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The browser sessions of the web UI: created by signing in with the admin
 * token or as a user, ended by signing out, by expiry ({@link #LIFETIME} after
 * sign-in), or when the admin token they were made with is no longer accepted
 * (checked when the server starts). A user's session rides on a personal API
 * token issued at sign-in: its cookie carries that token, so whoever checks the
 * request resolves the user through it, and revoking it or disabling the user
 * ends the session at once.
 *
 * <p>The cookie carries a random 256-bit secret; only its SHA-256 is kept,
 * in memory for the per-request check (no database read per request) and in
 * {@code browser_sessions} so sessions survive a restart. At most
 * {@link #MAX_SESSIONS_PER_ACTOR} live per actor: signing in beyond that ends
 * the actor's own session closest to expiry; and at most {@link #MAX_SESSIONS}
 * in all: beyond that the session closest to expiry ends.
 *
 * <p>{@link #find} never blocks; {@link #create}, {@link #end} and
 * {@link #load} write the database and must run off the event loop. Thread safe.
 */
public final class BrowserSessions {

    /** How long a sign-in lasts; then the UI asks for the token again. */
    public static final Duration LIFETIME = Duration.ofHours(12);
    /** Sessions kept at most; beyond it the one closest to expiry is ended. */
    public static final int MAX_SESSIONS = 1000;
    /**
     * Sessions one actor (a user, or the admin token) keeps at most; a sign-in beyond it ends that actor's own
     * session closest to expiry, so no actor can push others' sessions out of the table.
     */
    public static final int MAX_SESSIONS_PER_ACTOR = 20;
    private static final Logger LOG = LoggerFactory.getLogger(BrowserSessions.class);

    private final BrowserSessionStore store;
    /** Live sessions by id hash; entries expire lazily in {@link #find} and eagerly at {@link #load}. */
    private final Map<String, BrowserSession> byIdHash = new ConcurrentHashMap<>();

    private BrowserSessions(BrowserSessionStore store) {
        this.store = store;
    }

    /** Reads the stored sessions, dropping expired ones and those whose token is no longer accepted. Blocking. */
    public static BrowserSessions load(Database db, AdminTokens tokens) {
        BrowserSessions sessions = new BrowserSessions(new BrowserSessionStore(db));
        long now = System.currentTimeMillis();
        sessions.store.deleteExpired(now);
        int dropped = 0;
        for (BrowserSession session : sessions.store.all()) {
            if (session.ofUser() || tokens.acceptsHash(session.tokenHash())) {
                sessions.byIdHash.put(session.idHash(), session);
            } else {
                sessions.store.delete(session.idHash());
                dropped++;
            }
        }
        if (dropped > 0) {
            LOG.info("ended {} browser sessions signed in with an admin token no longer accepted", dropped);
        }
        return sessions;
    }

    /** A new session and the id its cookie carries (shown to this browser only, never stored). */
    public record Created(String id, BrowserSession session) {
    }

    /** Starts a session signed in with the admin token of hash {@code tokenHash}. Blocking. */
    public Created create(String actor, String tokenHash, String source, String userAgent, long nowMillis) {
        return create(Secrets.newSessionId(), actor, tokenHash, null, source, userAgent, nowMillis);
    }

    /**
     * Starts a user's session on the personal token {@code personalToken} (id {@code tokenId}), issued for
     * {@link #LIFETIME}; the cookie carries that token. Blocking.
     */
    public Created createForUser(String user, String personalToken, String tokenId, String source, String userAgent,
            long nowMillis) {
        return create(personalToken, user, Secrets.hash(personalToken), tokenId, source, userAgent, nowMillis);
    }

    /** Synchronized so concurrent sign-ins of one actor cannot both slip under the per-actor cap. */
    private synchronized Created create(String id, String actor, String tokenHash, String userTokenId,
            String source, String userAgent, long nowMillis) {
        String agent = userAgent == null || userAgent.length() <= BrowserSession.MAX_USER_AGENT ? userAgent
                : userAgent.substring(0, BrowserSession.MAX_USER_AGENT);
        BrowserSession session = new BrowserSession(Secrets.hash(id), actor, tokenHash, Secrets.newCsrfToken(),
                nowMillis, nowMillis + LIFETIME.toMillis(), source, agent, userTokenId);
        List<BrowserSession> own = byIdHash.values().stream().filter(live -> live.actor().equals(actor))
                .sorted(Comparator.comparingLong(BrowserSession::expiresAt)).toList();
        for (int i = 0; i <= own.size() - MAX_SESSIONS_PER_ACTOR; i++) {
            end(own.get(i).idHash());
        }
        while (byIdHash.size() >= MAX_SESSIONS) {
            byIdHash.values().stream().min(Comparator.comparingLong(BrowserSession::expiresAt))
                    .ifPresent(oldest -> end(oldest.idHash()));
        }
        store.insert(session);
        byIdHash.put(session.idHash(), session);
        return new Created(id, session);
    }

    /** The live session whose cookie carries {@code id}, if any. Never blocks. */
    public Optional<BrowserSession> find(String id, long nowMillis) {
        if (id == null || id.isEmpty()) {
            return Optional.empty();
        }
        BrowserSession session = byIdHash.get(Secrets.hash(id));
        if (session == null || session.expired(nowMillis)) {
            // An expired row is deleted at the next start; memory is freed now.
            if (session != null) {
                byIdHash.remove(session.idHash(), session);
            }
            return Optional.empty();
        }
        return Optional.of(session);
    }

    /** Ends a session (sign-out); a no-op for one already gone. Blocking. */
    public void end(String idHash) {
        byIdHash.remove(idHash);
        store.delete(idHash);
    }

    /** Sessions alive in memory. */
    public int size() {
        return byIdHash.size();
    }
}
