package dev.tether.dist;

import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * The agent package this module's build made ({@code src/dist/build-package}), as the tests find it: the
 * directory, version and server jar come from system properties the build sets. Where the package could not be
 * built (no jlink: build-package warned) the tests that need it are skipped with a message, except under
 * {@code CI=true}, where they fail.
 */
final class AgentPackage {

    static final String VERSION = System.getProperty("tether.dist.version", "0.1.0-SNAPSHOT");
    static final Path DIR = Path.of(System.getProperty("tether.dist.dir", "target")).toAbsolutePath();

    private AgentPackage() {
    }

    /** The agent-only jar (always built, by the shade plugin). */
    static Path jar() {
        return required(DIR.resolve("tether-agent-" + VERSION + ".jar"), "./mvnw package builds it");
    }

    static Path tarball() {
        return required(DIR.resolve("tether-agent-" + VERSION + "-linux-x64.tar.gz"),
                "build-package skipped it: see its warning in the build output");
    }

    /** The .deb, or null when this machine has no dpkg-deb to build one. */
    static Path deb() {
        Path deb = DIR.resolve("tether-agent_" + VERSION.replace('-', '~') + "_amd64.deb");
        return Files.isRegularFile(deb) ? deb : null;
    }

    /** The full CLI jar, which runs the server the installed agent joins. */
    static Path serverJar() {
        return required(Path.of(System.getProperty("tether.dist.serverJar", "../tether-cli/target/tether.jar")),
                "build tether-cli first (./mvnw verify builds it before this module)");
    }

    /**
     * The class data the installed agent maps: the AOT cache when the build's JDK (which made the runtime) is 25
     * or later, else the class-data archive.
     */
    static String classDataFile() {
        return Runtime.version().feature() >= 25 ? "tether-agent.aot" : "tether-agent.jsa";
    }

    /** Unpacks the tarball into {@code dir}; returns the package's own directory there. */
    static Path unpack(Path dir) throws IOException, InterruptedException {
        Commands.Result tar = Commands.run(List.of("tar", "-xzf", tarball().toString(), "-C", dir.toString()),
                java.util.Map.of(), null, Duration.ofSeconds(60));
        tar.assertExit(0);
        return dir.resolve("tether-agent-" + VERSION + "-linux-x64");
    }

    private static Path required(Path file, String how) {
        if (Files.isRegularFile(file)) {
            return file.toAbsolutePath();
        }
        String missing = "no " + file.toAbsolutePath() + " (" + how + ")";
        if ("true".equals(System.getenv("CI"))) {
            fail(missing);
        }
        System.err.println("agent package test skipped: " + missing);
        assumeTrue(false, missing);
        return file;
    }
}
