package dev.tether.agent.process;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ChildEnvironmentTest {

    @Test
    void theKeyIsRemovedWhereverItAppears() {
        Map<String, String> env = new HashMap<>(Map.of("PATH", "/usr/bin", "TETHER_AGENT_KEY", "tak_k",
                "COPY", "tak_k", "HOME", "/root"));

        ChildEnvironment.removeKey(env, "tak_k");

        assertThat(env).containsOnlyKeys("PATH", "HOME");
    }
}
