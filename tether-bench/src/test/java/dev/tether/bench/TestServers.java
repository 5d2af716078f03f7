package dev.tether.bench;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.tether.bench.server.ServerProcess;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * A real Tether server for tests, from the CLI jar: the system property
 * {@code tether.bench.serverJar} (set by the build to
 * {@code tether-cli/target/tether.jar}). Tests that need it are skipped when
 * the jar has not been built.
 */
public final class TestServers {

    public static final String ADMIN_TOKEN = "tat_bench-test-admin-token";

    private TestServers() {
    }

    public static Path serverJar() {
        String property = System.getProperty("tether.bench.serverJar", "../tether-cli/target/tether.jar");
        Path jar = Path.of(property);
        if (!Files.isRegularFile(jar)) {
            String missing = "no server jar at " + jar.toAbsolutePath()
                    + "; build tether-cli first or set -Dtether.bench.serverJar";
            if ("true".equals(System.getenv("CI"))) {
                throw new AssertionError(missing + " (./mvnw verify builds it before the bench module)");
            }
            System.err.println("bench test skipped: " + missing);
            assumeTrue(false, missing);
        }
        return jar;
    }

    public static ServerProcess start(Path dir, Duration heartbeatInterval) throws Exception {
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        return ServerProcess.start(new ServerProcess.Options(serverJar(), java,
                List.of("-Xmx256m", "-XX:TieredStopAtLevel=1"), 0, dir.resolve("data"),
                heartbeatInterval, ADMIN_TOKEN, dir.resolve("server.log"), "INFO"));
    }
}
