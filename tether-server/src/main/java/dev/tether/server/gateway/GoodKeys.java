package dev.tether.server.gateway;

/**
 * The agent keys that authenticated recently, for {@link AuthThrottle}: each key's 64-bit fingerprint with
 * when it last authenticated, in an open-addressing table of two {@code long} arrays. A connected fleet puts one
 * key an agent here, so the table is sized for a dense node: 21 to 43 bytes a key (16 a slot, the table 3/8 to 3/4
 * full), where a {@code ConcurrentHashMap<Long, Long>} cost about 90 (its node and two boxed values). Fingerprints
 * are SHA-256 bits of keys that authenticated, so no client can choose them to crowd one probe sequence.
 *
 * <p>Fingerprint 0 marks an empty slot, so a key whose fingerprint is 0 is kept as 1: it shares that entry with
 * a key whose fingerprint is 1, which only lets one skip the throttle when the other did authenticate (as any
 * two keys whose first 64 bits collide; see {@link AuthThrottle}).
 *
 * <p>Bounded: at most {@code maxKeys} keys. A full table first drops the keys older than the memory it is told;
 * if none are, a new key is not remembered.
 *
 * <p>Thread safe: every method holds this object's monitor for one probe sequence (a handshake's, or a
 * failure's), so there is nothing to contend on between them but the table itself.
 */
final class GoodKeys {

    private static final long EMPTY = 0;
    private static final int MIN_CAPACITY = 64;

    private final int maxKeys;
    /** Fingerprints, {@link #EMPTY} where no key is. Guarded by this. */
    private long[] keys = new long[MIN_CAPACITY];
    /** When the key in the same slot last authenticated ({@link System#nanoTime()}). Guarded by this. */
    private long[] times = new long[MIN_CAPACITY];
    private int size;

    GoodKeys(int maxKeys) {
        this.maxKeys = maxKeys;
    }

    /** When the key last authenticated, or {@link Long#MIN_VALUE} when it is not remembered. */
    synchronized long lastGood(long fingerprint) {
        long key = stored(fingerprint);
        for (int i = slot(key, keys.length); keys[i] != EMPTY; i = next(i)) {
            if (keys[i] == key) {
                return times[i];
            }
        }
        return Long.MIN_VALUE;
    }

    /**
     * Remembers that the key authenticated at {@code nowNanos}; when full, first forgets keys that last
     * authenticated {@code memoryNanos} or more before it.
     */
    synchronized void good(long fingerprint, long nowNanos, long memoryNanos) {
        long key = stored(fingerprint);
        int i = slot(key, keys.length);
        for (; keys[i] != EMPTY; i = next(i)) {
            if (keys[i] == key) {
                times[i] = nowNanos;
                return;
            }
        }
        if (size >= maxKeys) {
            rebuild(keys.length, nowNanos, memoryNanos);
            if (size >= maxKeys) {
                return;
            }
        }
        if ((size + 1) * 4 > keys.length * 3) {
            rebuild(keys.length * 2, nowNanos, Long.MAX_VALUE);
        }
        insert(key, nowNanos);
    }

    /** Forgets the key (it just failed to authenticate). */
    synchronized void forget(long fingerprint) {
        long key = stored(fingerprint);
        int i = slot(key, keys.length);
        while (keys[i] != key) {
            if (keys[i] == EMPTY) {
                return;
            }
            i = next(i);
        }
        keys[i] = EMPTY;
        size--;
        // Shift back the entries after it whose probe passed through the freed slot, so none becomes unreachable.
        for (int j = next(i); keys[j] != EMPTY; j = next(j)) {
            int home = slot(keys[j], keys.length);
            if ((j - home & keys.length - 1) >= (j - i & keys.length - 1)) {
                keys[i] = keys[j];
                times[i] = times[j];
                keys[j] = EMPTY;
                i = j;
            }
        }
    }

    synchronized int size() {
        return size;
    }

    private void insert(long key, long nanos) {
        int i = slot(key, keys.length);
        while (keys[i] != EMPTY) {
            i = next(i);
        }
        keys[i] = key;
        times[i] = nanos;
        size++;
    }

    /**
     * Moves the entries into a table of {@code capacity} slots, leaving out those that last authenticated
     * {@code memoryNanos} or more before {@code nowNanos}.
     */
    private void rebuild(int capacity, long nowNanos, long memoryNanos) {
        long[] oldKeys = keys;
        long[] oldTimes = times;
        keys = new long[capacity];
        times = new long[capacity];
        size = 0;
        for (int i = 0; i < oldKeys.length; i++) {
            if (oldKeys[i] != EMPTY && nowNanos - oldTimes[i] < memoryNanos) {
                insert(oldKeys[i], oldTimes[i]);
            }
        }
    }

    private int next(int i) {
        return i + 1 & keys.length - 1;
    }

    private static long stored(long fingerprint) {
        return fingerprint == EMPTY ? 1 : fingerprint;
    }

    private static int slot(long key, int capacity) {
        return (int) (key * 0x9E3779B97F4A7C15L >>> 32) & capacity - 1;
    }
}
