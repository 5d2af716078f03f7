package dev.tether.bench.scenario;

import dev.tether.bench.DurationConverter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import picocli.CommandLine.Option;

/**
 * Options every scenario takes: which server to run and how, where results
 * go, how the fleet is spread over processes and addresses, and the bound on
 * the whole run. A picocli mixin; plain fields set once by the parser.
 */
public final class RunOptions {

    /** Where the real build puts the CLI jar, relative to the repository root. */
    static final String DEFAULT_SERVER_JAR = "tether-cli/target/tether.jar";

    @Option(names = "--server-jar", paramLabel = "JAR",
            description = "Tether CLI jar to run the server from (default: " + DEFAULT_SERVER_JAR
                    + ", looked up from the current directory and its parents)")
    Path serverJar;

    @Option(names = "--java", paramLabel = "JAVA", description = "java binary for the server (default: this JVM's)")
    Path java;

    @Option(names = "--server-jvm-opts", paramLabel = "OPTS", defaultValue = "",
            description = "JVM options for the server, space separated (default: none, the JVM's ergonomics)")
    String serverJvmOptions;

    @Option(names = "--generator-jvm-opts", paramLabel = "OPTS", defaultValue = "-Xss512k -XX:+UseParallelGC",
            description = "JVM options for generator processes, space separated (default: ${DEFAULT-VALUE})")
    String generatorJvmOptions;

    @Option(names = "--server-log-level", paramLabel = "LEVEL", defaultValue = "INFO",
            description = "TETHER_LOG_LEVEL of the server (default: ${DEFAULT-VALUE}); its log goes to the results dir")
    String serverLogLevel;

    @Option(names = "--results-dir", paramLabel = "DIR", defaultValue = "bench-results",
            description = "where JSON results, charts and logs go (default: ${DEFAULT-VALUE})")
    Path resultsDir;

    @Option(names = "--data-dir", paramLabel = "DIR",
            description = "server data dir, reused between runs with its agents' keys "
                    + "(default: RESULTS_DIR/server-data)")
    Path dataDir;

    @Option(names = "--fresh", description = "delete the data dir and the cached agent keys first")
    boolean fresh;

    @Option(names = "--generators", paramLabel = "N",
            description = "generator processes for the simulated agents (default: enough for the open-files limit, "
                    + "and 2 above 10,000 agents; 1 runs them in this process)")
    Integer generators;

    @Option(names = "--loops", paramLabel = "N", defaultValue = "1",
            description = "event loop threads per generator (default: ${DEFAULT-VALUE})")
    int loops;

    @Option(names = "--source-addresses", paramLabel = "N",
            description = "loopback source addresses 127.0.0.2 ... to spread connections over "
                    + "(default: enough for the ephemeral port range, at least 2)")
    Integer sourceAddresses;

    @Option(names = "--enrol-concurrency", paramLabel = "N", defaultValue = "32",
            description = "REST requests in flight while enrolling agents (default: ${DEFAULT-VALUE})")
    int enrolConcurrency;

    @Option(names = "--timeout", paramLabel = "DURATION", defaultValue = "20m", converter = DurationConverter.class,
            description = "hard bound on the whole run; everything is stopped when it passes "
                    + "(default: ${DEFAULT-VALUE})")
    Duration timeout;

    @Option(names = "--force", description = "run even when the preflight finds a limit too low")
    boolean force;

    Path resolvedServerJar() {
        if (serverJar != null) {
            return serverJar;
        }
        Path dir = Path.of("").toAbsolutePath();
        for (int up = 0; up < 4 && dir != null; up++, dir = dir.getParent()) {
            Path candidate = dir.resolve(DEFAULT_SERVER_JAR);
            if (Files.isRegularFile(candidate)) {
                return candidate;
            }
        }
        return Path.of(DEFAULT_SERVER_JAR);
    }

    Path resolvedJava() {
        return java != null ? java : Path.of(System.getProperty("java.home"), "bin", "java");
    }

    Path resolvedDataDir() {
        return dataDir != null ? dataDir : resultsDir.resolve("server-data");
    }

    List<String> serverJvmOptionList() {
        return split(serverJvmOptions);
    }

    List<String> generatorJvmOptionList() {
        return split(generatorJvmOptions);
    }

    private static List<String> split(String options) {
        return options.isBlank() ? List.of() : Arrays.asList(options.trim().split("\\s+"));
    }
}
