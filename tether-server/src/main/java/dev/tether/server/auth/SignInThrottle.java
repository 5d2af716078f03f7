package dev.tether.server.auth;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Slows down guessing the admin token through the sign-in form: a client
 * address with {@link #MAX_FAILURES} failed sign-ins within {@link #WINDOW} is
 * refused until the window ends. A success clears its count.
 *
 * <p>Bound: at most {@link #MAX_ADDRESSES} addresses are tracked; when full,
 * windows that ended are dropped, and if none ended, the oldest window is
 * (an attacker with that many addresses gains little over a 256-bit token).
 *
 * <p>Thread safe.
 */
public final class SignInThrottle {

    public static final int MAX_FAILURES = 10;
    public static final Duration WINDOW = Duration.ofMinutes(5);
    static final int MAX_ADDRESSES = 10_000;

    private final Map<String, Window> failures = new ConcurrentHashMap<>();

    private record Window(long startMillis, int count) {
    }

    /** Milliseconds until {@code address} may try again; 0 when it may now. */
    public long retryAfterMillis(String address, long nowMillis) {
        Window window = failures.get(address);
        if (window == null || window.count() < MAX_FAILURES) {
            return 0;
        }
        long left = window.startMillis() + WINDOW.toMillis() - nowMillis;
        return Math.max(0, left);
    }

    public void failed(String address, long nowMillis) {
        if (failures.size() >= MAX_ADDRESSES && !failures.containsKey(address)) {
            prune(nowMillis);
        }
        failures.merge(address, new Window(nowMillis, 1), (old, one) ->
                nowMillis - old.startMillis() >= WINDOW.toMillis() ? one : new Window(old.startMillis(),
                        old.count() + 1));
    }

    public void succeeded(String address) {
        failures.remove(address);
    }

    private void prune(long nowMillis) {
        failures.values().removeIf(window -> nowMillis - window.startMillis() >= WINDOW.toMillis());
        if (failures.size() >= MAX_ADDRESSES) {
            failures.entrySet().stream().min(Map.Entry.comparingByValue(
                    (a, b) -> Long.compare(a.startMillis(), b.startMillis())))
                    .ifPresent(oldest -> failures.remove(oldest.getKey()));
        }
    }
}
