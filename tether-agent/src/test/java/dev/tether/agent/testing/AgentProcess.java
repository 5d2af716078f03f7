package dev.tether.agent.testing;

import dev.tether.agent.Agent;
import dev.tether.agent.AgentConfig;
import dev.tether.agent.Backoff;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * An agent in a JVM of its own, for tests of what survives the agent process
 * being killed: {@link #start} launches this class's {@code main} with the test
 * classpath.
 */
public final class AgentProcess {

    private AgentProcess() {
    }

    /** Starts an agent of {@code server} on {@code stateDir} in a new JVM. */
    public static Process start(URI server, Path stateDir, Path log) throws IOException {
        return start(server, stateDir, log, Map.of());
    }

    /** Starts an agent of {@code server} on {@code stateDir} in a new JVM with {@code env} added to its environment. */
    public static Process start(URI server, Path stateDir, Path log, Map<String, String> env) throws IOException {
        String java = ProcessHandle.current().info().command().orElse("java");
        String classpath = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        List<String> command = new ArrayList<>(List.of(java, "-Xshare:auto", "--enable-native-access=ALL-UNNAMED",
                "-cp", classpath, AgentProcess.class.getName(), server.toString(), stateDir.toString()));
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile());
        builder.environment().putAll(env);
        return builder.start();
    }

    public static void main(String[] args) throws InterruptedException {
        Agent.start(AgentConfig.builder()
                .server(URI.create(args[0]))
                .key(FakeTetherServer.KEY)
                .stateDir(Path.of(args[1]))
                .insecure(true)
                .backoff(new Backoff(Duration.ofMillis(20), 2.0, Duration.ofMillis(200)))
                .build());
        Thread.sleep(Long.MAX_VALUE);
    }
}
