package dev.tether.serverdist;

import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * The server package and image this module's build made ({@code src/dist/build-package}), as the tests find
 * them: the directory and version come from system properties the build sets. Where they could not be built (no
 * jlink: build-package warned) the tests that need them are skipped with a message, except under {@code CI=true},
 * where they fail.
 */
final class ServerPackage {

    static final String VERSION = System.getProperty("tether.dist.version", "0.1.0-SNAPSHOT");
    static final Path DIR = Path.of(System.getProperty("tether.dist.dir", "target")).toAbsolutePath();
    /** The repository's root, where compose.yaml is. */
    static final Path ROOT = Path.of(System.getProperty("tether.dist.root", "..")).toAbsolutePath().normalize();

    private ServerPackage() {
    }

    static Path tarball() {
        return required(DIR.resolve("tether-server-" + VERSION + "-linux-x64.tar.gz"),
                "build-package skipped it: see its warning in the build output");
    }

    static Path image() {
        return required(DIR.resolve("tether-server-" + VERSION + "-oci.tar"),
                "build-package skipped it: see its warning in the build output");
    }

    /** Unpacks the tarball into {@code dir}; returns the package's own directory there. */
    static Path unpack(Path dir) throws IOException, InterruptedException {
        Commands.run(List.of("tar", "-xzf", tarball().toString(), "-C", dir.toString()), Map.of(), null,
                Duration.ofSeconds(60)).assertExit(0);
        return dir.resolve("tether-server-" + VERSION + "-linux-x64");
    }

    /** Skips the calling test (fails it under CI=true) unless {@code present}, saying what is missing. */
    static void require(boolean present, String missing) {
        if (present) {
            return;
        }
        if ("true".equals(System.getenv("CI"))) {
            fail("cannot run under CI=true: " + missing);
        }
        System.err.println("server package test skipped: " + missing);
        assumeTrue(false, missing);
    }

    private static Path required(Path file, String how) {
        require(Files.isRegularFile(file), "no " + file + " (" + how + ")");
        return file;
    }
}
