package dev.tether.server;

import dev.tether.server.auth.SecretFile;
import dev.tether.server.auth.Secrets;
import dev.tether.server.store.AgentStore;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.Map;

/**
 * Dev mode conveniences: a {@code dev-agent} enrolled on first start with its
 * key in {@code <data-dir>/dev-agent.key} (0600), and a banner with the admin
 * token and a ready-to-paste agent command. The banner goes to the console,
 * never to the log.
 */
final class DevMode {

    static final String DEV_AGENT = "dev-agent";
    static final String DEV_AGENT_KEY_FILE = "dev-agent.key";

    private DevMode() {
    }

    /** Enrols the dev agent if missing, and re-keys it when its key file is missing or stale. */
    static void ensureDevAgent(AgentStore agents, Path dataDir) throws IOException {
        Path keyFile = dataDir.resolve(DEV_AGENT_KEY_FILE);
        String key = SecretFile.read(keyFile);
        var agent = agents.find(DEV_AGENT);
        if (agent.isEmpty()) {
            key = Secrets.newAgentKey();
            agents.create(DEV_AGENT, Map.of("env", "dev"), Secrets.hash(key), System.currentTimeMillis());
            SecretFile.write(keyFile, key);
            return;
        }
        String id = agent.get().id();
        boolean keyWorks = key != null && agents.findByKeyHash(Secrets.hash(key))
                .filter(owner -> owner.id().equals(id)).isPresent();
        if (!keyWorks) {
            key = Secrets.newAgentKey();
            agents.replaceKey(id, Secrets.hash(key));
            SecretFile.write(keyFile, key);
        }
    }

    static void printBanner(PrintStream console, ServerConfig config, int port, String adminToken) {
        Path dataDir = config.dataDir().toAbsolutePath().normalize();
        String scheme = config.tls() ? "https" : "http";
        String server = scheme + "://127.0.0.1:" + port;
        console.println();
        console.println("Tether server running in DEV mode at " + server
                + (config.tls() ? "" : " (plain HTTP: not for production)"));
        console.println();
        console.println("  Web UI:       " + server + "/  (sign in with the admin token)");
        console.println("  Admin token:  " + adminToken);
        console.println("  Try:          curl -H 'Authorization: Bearer " + adminToken + "' " + server
                + "/api/v1/agents");
        console.println();
        console.println("  Start the dev agent:");
        console.println("    ./tether agent --server " + server + (config.tls() ? "" : " --insecure") + " --enable-shell"
                + " --key-file " + dataDir.resolve(DEV_AGENT_KEY_FILE)
                + " --state-dir " + dataDir.resolve("dev-agent-state"));
        console.println();
        console.flush();
    }
}
