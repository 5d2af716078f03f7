package dev.tether.serverdist;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What the tarball holds: the launchers, the whole CLI with Linux natives only, the trimmed runtime, the rest. */
class PackageContentsTest {

    @TempDir
    static Path dir;
    private static Path home;

    @BeforeAll
    static void unpack() throws Exception {
        home = ServerPackage.unpack(dir);
    }

    @Test
    void theTarballHoldsTheLaunchersTheJarTheRuntimeTheUnitAndTheSettingsOwnedByRoot() throws Exception {
        for (String file : List.of("bin/tether", "bin/tether-ready", "runtime/bin/java")) {
            assertThat(home.resolve(file)).isExecutable();
        }
        for (String file : List.of("lib/tether.jar", "systemd/tether-server.service", "server.env.example", "LICENSE",
                "runtime/lib/server/classes.jsa")) {
            assertThat(home.resolve(file)).isNotEmptyFile();
        }
        assertThat(Files.readString(home.resolve("VERSION")).strip()).isEqualTo(ServerPackage.VERSION);
        Commands.Result listing = Commands.run(List.of("tar", "-tvzf", ServerPackage.tarball().toString()), Map.of(),
                null, Duration.ofSeconds(60)).assertExit(0);
        assertThat(listing.out().lines().toList()).allSatisfy(line -> assertThat(line).contains(" 0/0 "));
    }

    @Test
    void theRuntimeHasWhatTheServerLoadsByNameAndNoDesktopOrCompiler() throws Exception {
        Commands.Result modules = Commands.run(List.of(home.resolve("runtime/bin/java").toString(), "--list-modules"),
                Map.of("-", ""), null, Duration.ofSeconds(30)).assertExit(0);
        assertThat(modules.out()).contains("java.base@", "java.sql@", "java.naming@", "java.net.http@",
                "java.management@", "jdk.management@", "jdk.unsupported@", "jdk.crypto.ec@", "java.security.jgss@")
                .doesNotContain("java.desktop@", "jdk.compiler@", "jdk.jshell@");
    }

    @Test
    void theJarHoldsTheServerTheWebUiAndTheNativesOfLinuxOnly() throws Exception {
        List<String> entries;
        try (ZipFile jar = new ZipFile(home.resolve("lib/tether.jar").toFile())) {
            entries = Collections.list(jar.entries()).stream().map(ZipEntry::getName).toList();
        }
        assertThat(entries).contains("dev/tether/cli/Main.class", "dev/tether/server/TetherServer.class",
                "dev/tether/serverdist/ReadyCheck.class", "org/sqlite/native/Linux/x86_64/libsqlitejdbc.so",
                "META-INF/native/libnetty_transport_native_epoll_x86_64.so", "com/sun/jna/linux-x86-64/libjnidispatch.so");
        assertThat(entries).as("natives of other systems").filteredOn(name -> name.startsWith("org/sqlite/native/Mac")
                || name.startsWith("org/sqlite/native/Windows") || name.startsWith("org/sqlite/native/Linux/aarch64")
                || name.startsWith("com/sun/jna/win32-") || name.startsWith("resources/com/pty4j/native/darwin")
                || name.startsWith("org/jline/nativ/Windows")).isEmpty();
        if ("true".equals(System.getenv("CI"))) {
            // CI builds the web UI (a build without Node.js fails there); elsewhere -DskipWeb may leave it out.
            assertThat(entries).contains("web/index.html");
        }
    }

    @Test
    void theLauncherRunsTheCommandsThroughASymlinkWithoutJavaOnThePath() throws Exception {
        Path bin = Files.createDirectory(dir.resolve("usr-local-bin"));
        Files.createSymbolicLink(bin.resolve("tether"), home.resolve("bin/tether"));
        Files.createSymbolicLink(bin.resolve("readlink"), Path.of("/usr/bin/readlink"));
        Map<String, String> env = Map.of("-", "", "PATH", bin.toString(), "HOME", dir.toString());
        String tether = bin.resolve("tether").toString();

        Commands.Result version = Commands.run(List.of(tether, "--version"), env, null, Duration.ofSeconds(30));
        assertThat(version.assertExit(0).out()).contains(ServerPackage.VERSION);
        Commands.Result backup = Commands.run(List.of(tether, "backup", "--help"), env, null, Duration.ofSeconds(30));
        assertThat(backup.assertExit(0).out()).contains("pg_dump");
        Commands.Result server = Commands.run(List.of(tether, "server", "--help"), env, null, Duration.ofSeconds(30));
        assertThat(server.assertExit(0).out()).contains("--tls-cert", "--db-password-file");
    }
}
