package dev.tether.dist;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What the package holds: an agent jar with no server in it and nothing missing, its runtime, the .deb. */
class PackageContentsTest {

    @TempDir
    Path dir;

    @Test
    void theAgentJarHoldsNoServerCodeAndNoLibraryOfTheServer() throws Exception {
        List<String> entries;
        try (ZipFile jar = new ZipFile(AgentPackage.jar().toFile())) {
            entries = Collections.list(jar.entries()).stream().map(ZipEntry::getName).toList();
        }
        assertThat(List.of("dev/tether/cli/AgentMain.class", "dev/tether/agent/Agent.class",
                "org/sqlite/native/Linux/x86_64/libsqlitejdbc.so")).as("missing from the agent jar")
                .filteredOn(name -> !entries.contains(name)).isEmpty();
        assertThat(entries).as("server code or libraries in the agent jar").filteredOn(name -> name.startsWith("dev/tether/server/")
                || name.startsWith("io/vertx/") || name.startsWith("io/netty/") || name.startsWith("org/postgresql/")
                || name.startsWith("org/flywaydb/") || name.startsWith("org/bouncycastle/")
                || name.startsWith("com/zaxxer/") || name.startsWith("io/micrometer/")
                || name.startsWith("org/jline/") || name.startsWith("web/")).isEmpty();
        assertThat(entries).as("natives of other systems").filteredOn(name -> name.startsWith("org/sqlite/native/Mac")
                || name.startsWith("org/sqlite/native/Windows") || name.startsWith("com/sun/jna/win32-")
                || name.startsWith("resources/com/pty4j/native/darwin")).isEmpty();
    }

    @Test
    void theAgentLogsThroughItsOwnProviderWithoutLogback() throws Exception {
        try (ZipFile jar = new ZipFile(AgentPackage.jar().toFile())) {
            assertThat(Collections.list(jar.entries())).as("logback in the agent jar")
                    .noneMatch(entry -> entry.getName().startsWith("ch/qos/logback/"));
            ZipEntry providers = jar.getEntry("META-INF/services/org.slf4j.spi.SLF4JServiceProvider");
            assertThat(providers).as("the SLF4J provider's registration").isNotNull();
            assertThat(new String(jar.getInputStream(providers).readAllBytes(), StandardCharsets.UTF_8).strip())
                    .isEqualTo("dev.tether.cli.logging.stderr.StderrLoggingProvider");
        }
        Path unpacked = AgentPackage.unpack(dir);
        Commands.Result run = Commands.run(List.of("timeout", "-s", "TERM", "4",
                unpacked.resolve("bin/tether-agent").toString(), "--server", "http://127.0.0.1:1", "--insecure",
                "--state-dir", dir.resolve("state").toString()), Map.of("-", "", "PATH", "/usr/bin:/bin",
                "TETHER_AGENT_KEY", "no-server-here"), null, Duration.ofSeconds(60));
        assertThat(run.err()).as("the agent's log").doesNotContain("SLF4J")
                .containsPattern("(?m)^\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}\\S* INFO  \\[[^]]+\\] "
                        + "d\\S*\\.Agent - tether agent \\S+ starting")
                .containsPattern("(?m)^\\S+ WARN  \\[[^]]+\\] d\\S*\\.ConnectionManager - ");
    }

    @Test
    void everyClassOfTetherTheAgentJarNamesIsInIt() throws Exception {
        Path jdeps = Path.of(System.getProperty("java.home"), "bin", "jdeps");
        assumeTrue(Files.isExecutable(jdeps), "no jdeps in " + System.getProperty("java.home"));
        Commands.Result result = Commands.run(List.of(jdeps.toString(), "--missing-deps", "--multi-release", "21",
                AgentPackage.jar().toString()), Map.of(), null, Duration.ofMinutes(2)).assertExit(0);
        assertThat(result.out().lines().filter(line -> line.contains("-> dev.tether.")).toList())
                .as("classes of Tether the shade filter left out").isEmpty();
    }

    @Test
    void theTarballRunsOnItsOwnRuntime() throws Exception {
        Path unpacked = AgentPackage.unpack(dir);
        assertThat(unpacked.resolve("bin/tether-agent")).isExecutable();
        assertThat(unpacked.resolve("lib/" + AgentPackage.classDataFile())).isNotEmptyFile();
        assertThat(Files.getLastModifiedTime(unpacked.resolve("lib/" + AgentPackage.classDataFile())))
                .as("the class data is not older than the jar, or the launcher would not use it")
                .isGreaterThanOrEqualTo(Files.getLastModifiedTime(unpacked.resolve("lib/tether-agent.jar")));
        assertThat(Files.readString(unpacked.resolve("VERSION")).strip()).isEqualTo(AgentPackage.VERSION);
        assertThat(unpacked.resolve("LICENSE")).isNotEmptyFile();

        Commands.Result modules = Commands.run(List.of(unpacked.resolve("runtime/bin/java").toString(),
                "--list-modules"), Map.of("-", ""), null, Duration.ofSeconds(30)).assertExit(0);
        assertThat(modules.out()).contains("java.base@", "java.net.http@", "java.sql@")
                .doesNotContain("java.desktop@", "jdk.compiler@");

        Commands.Result withTools = Commands.run(List.of(unpacked.resolve("bin/tether-agent").toString(),
                "--version"), Map.of("-", "", "PATH", "/usr/bin:/bin", "JAVA_HOME", "/nonexistent"), null,
                Duration.ofSeconds(30)).assertExit(0);
        assertThat(withTools.out()).contains(AgentPackage.VERSION);
        Commands.Result noServer = Commands.run(List.of(unpacked.resolve("bin/tether-agent").toString()),
                Map.of("-", "", "PATH", "/usr/bin:/bin"), null, Duration.ofSeconds(30));
        assertThat(noServer.exit()).isEqualTo(2);
        assertThat(noServer.err()).contains("--server");
        Commands.Result badFormat = Commands.run(List.of(unpacked.resolve("bin/tether-agent").toString(), "--server",
                "https://tether.example"), Map.of("-", "", "PATH", "/usr/bin:/bin", "TETHER_LOG_FORMAT", "xml"), null,
                Duration.ofSeconds(30));
        assertThat(badFormat.exit()).isEqualTo(2);
        assertThat(badFormat.err()).contains("tether-agent: TETHER_LOG_FORMAT is 'xml'; use text or json");
    }

    @Test
    void theDebInstallsTheSameUnderOpt() throws Exception {
        Path deb = AgentPackage.deb();
        assumeTrue(deb != null, "no .deb: this machine has no dpkg-deb");
        Commands.Result info = Commands.run(List.of("dpkg-deb", "--info", deb.toString()), Map.of(), null,
                Duration.ofSeconds(30)).assertExit(0);
        assertThat(info.out()).contains("Package: tether-agent", "Architecture: amd64", "postinst");
        Commands.Result contents = Commands.run(List.of("dpkg-deb", "--contents", deb.toString()), Map.of(), null,
                Duration.ofSeconds(60)).assertExit(0);
        assertThat(contents.out()).contains("./opt/tether-agent/bin/tether-agent",
                "./opt/tether-agent/runtime/bin/java", "./opt/tether-agent/lib/tether-agent.jar",
                "./lib/systemd/system/tether-agent.service", "./usr/bin/tether-agent -> /opt/tether-agent/bin/");
        assertThat(contents.out().lines().filter(l -> l.contains("./opt/")).allMatch(l -> l.contains("root/root")))
                .as("owned by root").isTrue();
    }
}
