package dev.tether.server.auth;

import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What each user holds open on this server: terminal sockets and server-sent
 * event streams (the event stream, output follows), each under the user's name
 * and the hash of the personal token that authenticated it (a browser
 * session's cookie carries such a token). Requests check credentials when they
 * start; this registry is how a stream that outlives the check ends when the
 * credentials do: disabling a user closes everything the user holds
 * ({@link #closeUser}), revoking a token closes what that token opened
 * ({@link #closeWhere}). The admin token's streams are not held here.
 *
 * <p>Each held stream gives a close action, run on the thread that disables or
 * revokes: it must be safe to call from any thread (hop to the stream's event
 * loop if the stream is not thread safe) and must not block.
 *
 * <p>Thread safe.
 */
public final class OpenStreams {

    private static final Logger LOG = LoggerFactory.getLogger(OpenStreams.class);

    /** One stream's place in the registry; {@link #release} it when the stream ends by itself. */
    public interface Hold {

        /** A hold for a stream not tracked (the admin token's). */
        Hold NONE = () -> {
        };

        /** Forgets the stream; idempotent. */
        void release();
    }

    /** Who holds a stream open, and how to close it. */
    private record Entry(String user, String tokenHash, Runnable close) {
    }

    /** Open streams by user name; an empty set is removed with its last entry. */
    private final Map<String, Set<Entry>> byUser = new ConcurrentHashMap<>();

    /**
     * Holds a stream of {@code user} opened with the token whose hash is {@code tokenHash}.
     *
     * @param close ends the stream; any thread, never blocks
     */
    public Hold hold(String user, String tokenHash, Runnable close) {
        Entry entry = new Entry(user, tokenHash, close);
        byUser.compute(user, (name, entries) -> {
            Set<Entry> set = entries != null ? entries : ConcurrentHashMap.newKeySet();
            set.add(entry);
            return set;
        });
        return () -> forget(entry);
    }

    /** A holder bound to one user and token, for code that opens streams later (a request's handlers). */
    public record Holder(OpenStreams streams, String user, String tokenHash) {

        public Hold hold(Runnable close) {
            return streams.hold(user, tokenHash, close);
        }
    }

    /** Closes every stream {@code user} holds (the user was disabled); returns how many. */
    public int closeUser(String user) {
        return closeWhere(user, tokenHash -> true);
    }

    /**
     * Closes the streams of {@code user} whose token hash {@code revoked} accepts (a token was revoked: the
     * caller tests which tokens no longer authenticate); returns how many.
     */
    public int closeWhere(String user, Predicate<String> revoked) {
        Set<Entry> entries = byUser.get(user);
        if (entries == null) {
            return 0;
        }
        List<Entry> closing = entries.stream().filter(entry -> revoked.test(entry.tokenHash())).toList();
        for (Entry entry : closing) {
            forget(entry);
            try {
                entry.close().run();
            } catch (RuntimeException e) {
                LOG.warn("closing a stream of {} failed", user, e);
            }
        }
        if (!closing.isEmpty()) {
            LOG.info("closed {} open stream(s) of {}: credentials disabled or revoked", closing.size(), user);
        }
        return closing.size();
    }

    /** Streams held now, for tests and metrics. */
    public int size() {
        return byUser.values().stream().mapToInt(Set::size).sum();
    }

    private void forget(Entry entry) {
        byUser.computeIfPresent(entry.user(), (name, entries) -> {
            entries.remove(entry);
            return entries.isEmpty() ? null : entries;
        });
    }
}
