package dev.tether.server.dispatch;

import java.util.Collection;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Who follows which command's output and job states: the dispatcher calls
 * {@link #changed} after a transaction touched a command, and each follower of
 * it is nudged to read what is new from the database.
 *
 * <p>Bounded: at most {@link #MAX_WATCHERS} at once; listeners must not block
 * (they schedule their own read). Thread safe.
 */
public final class OutputWatchers {

    /** Concurrent followers of command or job output; the API refuses more with 503. */
    public static final int MAX_WATCHERS = 512;

    private final Map<String, Set<Runnable>> byCommand = new ConcurrentHashMap<>();
    private final AtomicInteger count = new AtomicInteger();

    /**
     * Calls {@code listener} whenever the command's jobs or output change.
     *
     * @return what stops watching, or null when {@link #MAX_WATCHERS} are watching already
     */
    public Runnable watch(String commandId, Runnable listener) {
        if (count.incrementAndGet() > MAX_WATCHERS) {
            count.decrementAndGet();
            return null;
        }
        byCommand.computeIfAbsent(commandId, id -> ConcurrentHashMap.newKeySet()).add(listener);
        return () -> {
            byCommand.computeIfPresent(commandId, (id, listeners) -> {
                listeners.remove(listener);
                return listeners.isEmpty() ? null : listeners;
            });
            count.decrementAndGet();
        };
    }

    void changed(Collection<String> commandIds) {
        for (String commandId : commandIds) {
            Set<Runnable> listeners = byCommand.get(commandId);
            if (listeners != null) {
                listeners.forEach(Runnable::run);
            }
        }
    }
}
