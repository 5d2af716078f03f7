package dev.tether.cli.e2e;

import dev.tether.agent.Agent;
import dev.tether.agent.AgentConfig;
import dev.tether.agent.Backoff;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/** Many real agents (the agent library, real sockets, real state dirs) inside the test JVM. */
final class InProcessFleet implements AutoCloseable {

    private final List<Agent> agents = new ArrayList<>();
    private final List<String> ids = new ArrayList<>();

    /** Creates {@code count} agents named prefix-N with these labels and starts them. */
    static InProcessFleet start(Fleet fleet, String prefix, int count, JsonObject labels) throws Exception {
        InProcessFleet result = new InProcessFleet();
        for (int i = 1; i <= count; i++) {
            Fleet.AgentIdentity identity = fleet.createAgent(prefix + "-" + i, labels);
            result.ids.add(identity.id());
            result.agents.add(Agent.start(AgentConfig.builder()
                    .server(fleet.url())
                    .key(Files.readString(identity.keyFile()).strip())
                    .stateDir(identity.stateDir())
                    .insecure(true)
                    // Quick retries: these tests judge delivery across restarts, not the production backoff curve.
                    .backoff(new Backoff(Duration.ofMillis(100), 2.0, Duration.ofSeconds(1)))
                    .build()));
        }
        return result;
    }

    List<String> ids() {
        return ids;
    }

    @Override
    public void close() {
        agents.parallelStream().forEach(Agent::close);
    }
}
