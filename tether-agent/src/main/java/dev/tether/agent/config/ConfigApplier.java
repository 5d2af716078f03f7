package dev.tether.agent.config;

import dev.tether.agent.events.AgentEvents;
import dev.tether.agent.json.Json;
import dev.tether.agent.state.ConfigFiles;
import dev.tether.agent.state.StateStore;
import dev.tether.protocol.v1.ConfigApplied;
import dev.tether.protocol.v1.ConfigUpdate;
import dev.tether.protocol.v1.Envelope;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Applies a {@link ConfigUpdate}, whether it came as a reliable payload or
 * inside a Welcome. A version not newer than the applied one only records the
 * seq. A newer one is stored with the applied seq, a {@code ConfigApplied} and an
 * {@code agent.config_applied} event in one transaction (so a crash can neither
 * lose the report nor apply twice); then {@code config.json} and
 * {@code config.version} are replaced and the listeners told. A document that is
 * not well-formed JSON is refused: the seq is recorded and
 * {@code ConfigApplied{ok=false}} reports why.
 *
 * <p>Thread safe: {@link #apply} is synchronized, so configurations from the
 * connection (reader thread) and from {@code config} jobs (job workers) are
 * applied, and their files written, one at a time.
 */
public final class ConfigApplier {

    private static final Logger log = LoggerFactory.getLogger(ConfigApplier.class);

    private final StateStore store;
    private final ConfigFiles files;
    private final ConfigListeners listeners;
    private final Clock clock;

    public ConfigApplier(StateStore store, ConfigFiles files, ConfigListeners listeners, Clock clock) {
        this.store = store;
        this.files = files;
        this.listeners = listeners;
        this.clock = clock;
    }

    /**
     * @param seq the payload's seq, or 0 for the configuration inside a Welcome
     * @return whether the configuration was new and is now applied
     */
    public synchronized boolean apply(long seq, ConfigUpdate update) {
        long version = update.getVersion();
        byte[] raw = update.getConfigJson().toByteArray();
        String problem = Json.problem(raw);
        if (problem != null) {
            String error = "config version " + version + " is not well-formed JSON: " + problem;
            if (store.refuseConfig(seq, version, List.of(report(version, false, error)))) {
                log.error("refused {}", error);
            }
            return false;
        }
        String json = new String(raw, StandardCharsets.UTF_8);
        long now = clock.millis();
        List<Envelope> reports = List.of(report(version, true, ""), AgentEvents.configApplied(version, now));
        if (!store.applyConfig(seq, version, json, reports)) {
            log.debug("config version {} is not newer than the applied one; skipped", version);
            return false;
        }
        log.info("applied config version {}", version);
        writeFiles(version, json);
        listeners.applied(version, json);
        return true;
    }

    private void writeFiles(long version, String json) {
        try {
            files.write(version, json);
        } catch (IOException e) {
            // agent.db holds the config; the files are rewritten from it at the next start.
            log.error("config version {} is applied but {} could not be written: {}", version, files.json(),
                    e.toString());
        }
    }

    private static Envelope report(long version, boolean ok, String error) {
        return Envelope.newBuilder()
                .setConfigApplied(ConfigApplied.newBuilder().setVersion(version).setOk(ok).setError(error))
                .build();
    }
}
