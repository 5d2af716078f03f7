package dev.tether.bench.peer;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class MosquittoBrokerTest {

    @Test
    void theConfigListensOnLoopbackWithoutAConnectionCap() {
        String config = MosquittoBroker.config(18830, Path.of("/tmp/m.log"));
        assertThat(config.lines()).contains("listener 18830 127.0.0.1", "max_connections -1",
                "persistence false", "allow_anonymous true", "log_dest file /tmp/m.log");
    }
}
