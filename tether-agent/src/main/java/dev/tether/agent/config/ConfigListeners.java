package dev.tether.agent.config;

import dev.tether.agent.ConfigListener;
import dev.tether.agent.state.StoredState;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The registered {@link ConfigListener}s, called on one dedicated thread so a
 * slow listener never holds up the connection. Each listener sees versions in
 * increasing order and each at most once, including the current configuration
 * it is given when it registers. Thread safe.
 */
public final class ConfigListeners implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(ConfigListeners.class);

    private final List<Registered> listeners = new CopyOnWriteArrayList<>();
    private final ExecutorService calls = Executors.newSingleThreadExecutor(runnable -> {
        Thread thread = new Thread(runnable, "tether-config-listeners");
        thread.setDaemon(true);
        return thread;
    });

    /**
     * Registers {@code listener}; when a configuration is already applied it is
     * called with it first. The current state is read after registering, so a
     * configuration applied meanwhile is never missed.
     */
    public void add(ConfigListener listener, Supplier<StoredState> current) {
        Registered registered = new Registered(listener);
        listeners.add(registered);
        StoredState state = current.get();
        if (state.configVersion() > 0 && state.configJson() != null) {
            submit(() -> registered.call(state.configVersion(), state.configJson()));
        }
    }

    /** Tells every listener about a newly applied configuration. */
    public void applied(long version, String json) {
        for (Registered registered : listeners) {
            submit(() -> registered.call(version, json));
        }
    }

    private void submit(Runnable call) {
        try {
            calls.execute(call);
        } catch (RejectedExecutionException e) {
            log.debug("config listeners are closed; a late notification was dropped");
        }
    }

    /** Stops calling listeners; waits briefly for a call in progress. */
    @Override
    public void close() {
        calls.shutdown();
        try {
            if (!calls.awaitTermination(1, TimeUnit.SECONDS)) {
                calls.shutdownNow();
            }
        } catch (InterruptedException e) {
            calls.shutdownNow();
            Thread.currentThread().interrupt();
        }
    }

    /** A listener and the last version it was given; that field is confined to the calls thread. */
    private static final class Registered {

        private final ConfigListener listener;
        private long lastVersion;

        Registered(ConfigListener listener) {
            this.listener = listener;
        }

        void call(long version, String json) {
            if (version <= lastVersion) {
                return;
            }
            lastVersion = version;
            try {
                listener.applied(version, json);
            } catch (RuntimeException e) {
                log.error("config listener {} failed on config version {}", listener, version, e);
            }
        }
    }
}
