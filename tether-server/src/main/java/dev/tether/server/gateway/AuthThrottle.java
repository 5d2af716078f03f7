package dev.tether.server.gateway;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Slows down guessing of agent keys: after {@link #MAX_FAILURES} failed
 * authentications within {@link #WINDOW}, from one source address or with one
 * presented key, further attempts from it are answered 429 before the key is
 * even looked up, until the window ends.
 *
 * <p>A key that authenticated recently passes even from a blocked address, so
 * healthy agents behind the same NAT as a broken or hostile one keep
 * connecting. Any failure of a key (unknown, revoked, rejected, used up) takes
 * it out of that recently good set at once, so a key revoked after it
 * authenticated is throttled like one never seen. Keys are tracked by their
 * SHA-256 only; the recently good ones, one per connected agent, by its first
 * 64 bits ({@link GoodKeys}, not the 64-character hex string): a guessed key
 * whose hash shares them with a good key's, which takes about 2^64 tries per
 * good key to find, would only skip the throttle, never the key check.
 *
 * <p>Bounds: at most {@link #MAX_TRACKED} sources and as many keys are tracked
 * for failures, and as many recently good keys are remembered; when a map is
 * full, expired entries are dropped, and if none are, the new entry is not
 * tracked (failures beyond that are still refused with 401, just not throttled).
 *
 * <p>Thread safe; called on event loops, never blocks.
 */
final class AuthThrottle {

    static final int MAX_FAILURES = 20;
    static final Duration WINDOW = Duration.ofMinutes(1);
    /** How long a key that authenticated bypasses an address block. */
    static final Duration GOOD_KEY_MEMORY = Duration.ofHours(1);
    static final int MAX_TRACKED = 65_536;

    /** Failures in the window that began at {@code startNanos}. */
    private record Window(long startNanos, AtomicInteger failures) {
    }

    private final Map<String, Window> bySource = new ConcurrentHashMap<>();
    private final Map<String, Window> byKey = new ConcurrentHashMap<>();
    /** When each recently good key authenticated, by {@link #goodKey}. */
    private final GoodKeys goodKeys = new GoodKeys(MAX_TRACKED);

    /** @return 0 when the attempt may go ahead, else the seconds to wait (for Retry-After) */
    long retryAfterSeconds(String source, String keyHash, long nowNanos) {
        long good = goodKeys.lastGood(goodKey(keyHash));
        if (good != Long.MIN_VALUE && nowNanos - good < GOOD_KEY_MEMORY.toNanos()) {
            return 0;
        }
        return Math.max(blockedFor(bySource.get(source), nowNanos), blockedFor(byKey.get(keyHash), nowNanos));
    }

    /** Counts a failure against the source and the key, and forgets that the key was ever good. */
    void failed(String source, String keyHash, long nowNanos) {
        goodKeys.forget(goodKey(keyHash));
        count(bySource, source, nowNanos);
        count(byKey, keyHash, nowNanos);
    }

    void succeeded(String keyHash, long nowNanos) {
        goodKeys.good(goodKey(keyHash), nowNanos, GOOD_KEY_MEMORY.toNanos());
        byKey.remove(keyHash);
    }

    /** The first 64 bits of a key's SHA-256, from its hex form. */
    static long goodKey(String keyHash) {
        long bits = 0;
        for (int i = 0; i < Long.SIZE / 4 && i < keyHash.length(); i++) {
            bits = bits << 4 | Character.digit(keyHash.charAt(i), 16) & 0xF;
        }
        return bits;
    }

    private static long blockedFor(Window window, long nowNanos) {
        if (window == null || window.failures().get() < MAX_FAILURES) {
            return 0;
        }
        long left = window.startNanos() + WINDOW.toNanos() - nowNanos;
        return left <= 0 ? 0 : Math.max(1, Duration.ofNanos(left).toSeconds());
    }

    private static void count(Map<String, Window> windows, String name, long nowNanos) {
        if (windows.size() >= MAX_TRACKED && !windows.containsKey(name)) {
            windows.values().removeIf(w -> nowNanos - w.startNanos() >= WINDOW.toNanos());
            if (windows.size() >= MAX_TRACKED) {
                return;
            }
        }
        windows.compute(name, (key, window) -> window == null || nowNanos - window.startNanos() >= WINDOW.toNanos()
                ? new Window(nowNanos, new AtomicInteger(1))
                : incremented(window));
    }

    private static Window incremented(Window window) {
        window.failures().incrementAndGet();
        return window;
    }
}
