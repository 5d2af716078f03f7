package dev.tether.server.auth;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;

/**
 * Slows down password and admin-token guessing on every sign-in ({@code POST /api/v1/login} and
 * {@code POST /api/v1/session} share one instance): each attempt is charged, before any hashing or database
 * work, to its source address and to the user name it names; an address with
 * {@link #MAX_FAILURES_PER_ADDRESS} or a name with {@link #MAX_FAILURES_PER_USER} charges within
 * {@link #WINDOW} is refused (429 with {@code Retry-After}) until the window ends. A success refunds its own
 * charge only, so signing in to one's own account does not reset the count of guesses at another's; charging
 * before the check means parallel guesses count as well as sequential ones.
 *
 * <p>Bound: at most {@link #MAX_TRACKED} addresses and as many names are tracked; when full, windows that
 * ended are dropped, and if none ended, the oldest window is.
 *
 * <p>Thread safe: every method holds the instance's lock (a few map operations).
 */
public final class SignInThrottle {

    public static final int MAX_FAILURES_PER_ADDRESS = 20;
    public static final int MAX_FAILURES_PER_USER = 10;
    public static final Duration WINDOW = Duration.ofMinutes(5);
    static final int MAX_TRACKED = 10_000;

    /** Guarded by {@code this}. */
    private final Windows byAddress = new Windows(MAX_FAILURES_PER_ADDRESS);
    /** Guarded by {@code this}. */
    private final Windows byUser = new Windows(MAX_FAILURES_PER_USER);

    /**
     * Charges one attempt to {@code address} and {@code user} (null for an admin-token sign-in) when both may
     * try now.
     *
     * @return 0 when charged (go ahead), else the milliseconds until they may try again (nothing charged)
     */
    public synchronized long tryAttempt(String address, String user, long nowMillis) {
        long wait = Math.max(byAddress.retryAfter(address, nowMillis),
                user == null ? 0 : byUser.retryAfter(user, nowMillis));
        if (wait > 0) {
            return wait;
        }
        byAddress.charge(address, nowMillis);
        if (user != null) {
            byUser.charge(user, nowMillis);
        }
        return 0;
    }

    /** The attempt charged by {@link #tryAttempt} with these arguments succeeded: refunds it. */
    public synchronized void succeeded(String address, String user) {
        byAddress.refund(address);
        if (user != null) {
            byUser.refund(user);
        }
    }

    /** Charges per key, each in a window starting at its first charge. Not thread safe. */
    private static final class Windows {

        private record Window(long startMillis, int count) {
        }

        private final int max;
        private final Map<String, Window> windows = new HashMap<>();

        Windows(int max) {
            this.max = max;
        }

        long retryAfter(String key, long nowMillis) {
            Window window = windows.get(key);
            if (window == null || window.count() < max) {
                return 0;
            }
            return Math.max(0, window.startMillis() + WINDOW.toMillis() - nowMillis);
        }

        void charge(String key, long nowMillis) {
            if (windows.size() >= MAX_TRACKED && !windows.containsKey(key)) {
                prune(nowMillis);
            }
            windows.merge(key, new Window(nowMillis, 1), (old, one) -> nowMillis - old.startMillis()
                    >= WINDOW.toMillis() ? one : new Window(old.startMillis(), old.count() + 1));
        }

        void refund(String key) {
            windows.computeIfPresent(key, (k, old) -> old.count() <= 1 ? null
                    : new Window(old.startMillis(), old.count() - 1));
        }

        private void prune(long nowMillis) {
            windows.values().removeIf(window -> nowMillis - window.startMillis() >= WINDOW.toMillis());
            if (windows.size() >= MAX_TRACKED) {
                windows.entrySet().stream()
                        .min((a, b) -> Long.compare(a.getValue().startMillis(), b.getValue().startMillis()))
                        .ifPresent(oldest -> windows.remove(oldest.getKey()));
            }
        }
    }
}
