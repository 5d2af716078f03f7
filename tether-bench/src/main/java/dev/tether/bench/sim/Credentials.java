package dev.tether.bench.sim;

import java.util.Objects;

/**
 * An enrolled agent the fleet can connect as. The key never appears in
 * {@link #toString()}.
 *
 * @param name the agent's name on the server (bench-00001 ...)
 * @param id the server's agent id
 * @param key the agent key, {@code tak_...}
 */
public record Credentials(String name, String id, String key) {

    public Credentials {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(key, "key");
    }

    @Override
    public String toString() {
        return "Credentials[name=" + name + ", id=" + id + ", key=***]";
    }
}
