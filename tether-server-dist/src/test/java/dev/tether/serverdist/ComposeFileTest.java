package dev.tether.serverdist;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tether.cli.ServerEnvironment;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.yaml.snakeyaml.Yaml;

/**
 * compose.yaml, read as Compose reads it (no container engine here to run it): the server's settings are variables
 * the server really reads, its database URL names the PostgreSQL service and its database and user, the password
 * travels only as a secret file, and both services have healthchecks and volumes. server.env.example names only
 * variables the server or its launcher reads too.
 */
class ComposeFileTest {

    private static final Pattern LAUNCHER_VARIABLE = Pattern.compile("\\$\\{?(TETHER_[A-Z_]+)");
    private static final Pattern POSTGRES_URL = Pattern.compile("jdbc:postgresql://([^:/]+):(\\d+)/([^?]+)\\?(.*)");

    private static Map<String, Object> compose;
    private static Map<String, Object> tether;
    private static Map<String, Object> postgres;

    @BeforeAll
    static void read() throws IOException {
        compose = new Yaml().load(Files.readString(ServerPackage.ROOT.resolve("compose.yaml")));
        Map<String, Object> services = OciImage.map(compose.get("services"));
        assertThat(services).containsOnlyKeys("tether", "postgres");
        tether = OciImage.map(services.get("tether"));
        postgres = OciImage.map(services.get("postgres"));
    }

    @Test
    void everyTetherVariableItSetsIsOneTheServerReads() throws IOException {
        Set<String> set = new TreeSet<>(environment(tether).keySet());
        assertThat(set).allMatch(name -> name.startsWith("TETHER_"));
        assertThat(set).as("variables the server and its launcher do not read").isSubsetOf(known());
        assertThat(set).contains("TETHER_DB", "TETHER_DB_PASSWORD_FILE", "TETHER_TLS_CERT", "TETHER_TLS_KEY");
    }

    @Test
    void theServerEnvExampleNamesOnlyVariablesTheServerReads() throws IOException {
        Set<String> named = new TreeSet<>();
        Matcher matcher = Pattern.compile("(?m)^#? ?(TETHER_[A-Z_]+)=").matcher(
                Files.readString(source("server.env.example")));
        while (matcher.find()) {
            named.add(matcher.group(1));
        }
        assertThat(named).hasSizeGreaterThan(15).isSubsetOf(known());
    }

    @Test
    void theImageIsTheLoadedServerOfThisVersion() {
        assertThat(tether.get("image")).isEqualTo("tether-server:${TETHER_VERSION:-" + ServerPackage.VERSION + "}");
        assertThat(postgres.get("image")).asString().matches("postgres:1[78]");
    }

    @Test
    void theDatabaseUrlNamesThePostgresServiceItsDatabaseAndUserAndNoPassword() {
        Map<String, String> server = environment(tether);
        Map<String, String> database = environment(postgres);
        Matcher url = POSTGRES_URL.matcher(server.get("TETHER_DB"));
        assertThat(url.matches()).as("TETHER_DB %s", server.get("TETHER_DB")).isTrue();
        assertThat(url.group(1)).isEqualTo("postgres");
        assertThat(url.group(2)).isEqualTo("5432");
        assertThat(url.group(3)).isEqualTo(database.get("POSTGRES_DB"));
        assertThat(url.group(4)).contains("user=" + database.get("POSTGRES_USER")).doesNotContainIgnoringCase("password");
        assertThat(OciImage.map(tether.get("depends_on")).get("postgres"))
                .isEqualTo(Map.of("condition", "service_healthy"));
    }

    @Test
    void thePasswordIsOneSecretFileForBothServicesAndNeverAValue() {
        List<Object> tetherSecrets = OciImage.list(tether.get("secrets"));
        assertThat(tetherSecrets).isEqualTo(postgres.get("secrets")).hasSize(1);
        String secret = (String) tetherSecrets.get(0);
        assertThat(environment(tether)).containsEntry("TETHER_DB_PASSWORD_FILE", "/run/secrets/" + secret)
                .doesNotContainKey("TETHER_DB_PASSWORD");
        assertThat(environment(postgres)).containsEntry("POSTGRES_PASSWORD_FILE", "/run/secrets/" + secret)
                .doesNotContainKey("POSTGRES_PASSWORD");
        assertThat(OciImage.map(OciImage.map(compose.get("secrets")).get(secret))).containsKey("file");
        assertThat(tether).doesNotContainKeys("command", "entrypoint");
        assertThat(postgres).doesNotContainKeys("command", "entrypoint");
    }

    @Test
    void theCertificateIsMountedReadOnlyAndTheDataLivesInNamedVolumes() {
        List<String> tetherVolumes = OciImage.list(tether.get("volumes")).stream().map(String.class::cast).toList();
        for (String file : List.of("TETHER_TLS_CERT", "TETHER_TLS_KEY")) {
            String path = environment(tether).get(file);
            assertThat(tetherVolumes).as("a read-only mount holding %s", path).anySatisfy(volume -> {
                String[] parts = volume.split(":");
                assertThat(parts).hasSize(3);
                assertThat(path).startsWith(parts[1] + "/");
                assertThat(parts[2]).isEqualTo("ro");
            });
        }
        Set<String> named = OciImage.map(compose.get("volumes")).keySet();
        assertThat(tetherVolumes).anySatisfy(volume -> assertThat(volume).isIn(named.stream()
                .map(name -> name + ":/var/lib/tether").toList()));
        assertThat(OciImage.list(postgres.get("volumes"))).anySatisfy(volume -> assertThat(volume).isIn(named.stream()
                .map(name -> name + ":/var/lib/postgresql/data").toList()));
    }

    @Test
    void bothServicesHaveAHealthcheckAndThePublishedPortIsTheOneTheServerListensOn() throws Exception {
        List<Object> postgresCheck = OciImage.list(OciImage.map(postgres.get("healthcheck")).get("test"));
        assertThat(postgresCheck).startsWith("CMD", "pg_isready");
        List<Object> tetherCheck = OciImage.list(OciImage.map(tether.get("healthcheck")).get("test"));
        assertThat(tetherCheck).isEqualTo(List.of("CMD", "/opt/tether/bin/tether-ready"));
        assertThat(source("tether-ready")).isExecutable();

        int listenPort = URI.create("tcp://" + environment(tether).get("TETHER_LISTEN")).getPort();
        assertThat(OciImage.list(tether.get("ports"))).singleElement().asString().endsWith(":" + listenPort);
        assertThat(Duration.parse("PT" + tether.get("stop_grace_period").toString().toUpperCase()))
                .as("time for the drain before SIGKILL").isGreaterThanOrEqualTo(Duration.ofSeconds(30));
    }

    /** What the server reads (from its command's code) and what its launcher reads. */
    private static Set<String> known() throws IOException {
        Set<String> known = new TreeSet<>(ServerEnvironment.variables());
        Matcher launcher = LAUNCHER_VARIABLE.matcher(Files.readString(source("tether")));
        while (launcher.find()) {
            known.add(launcher.group(1));
        }
        assertThat(known).contains("TETHER_LISTEN", "TETHER_DB", "TETHER_ADMIN_TOKEN", "TETHER_JAVA_OPTS");
        return known;
    }

    private static Path source(String file) {
        return ServerPackage.ROOT.resolve("tether-server-dist/src/dist").resolve(file);
    }

    private static Map<String, String> environment(Map<String, Object> service) {
        Map<String, String> env = new java.util.TreeMap<>();
        OciImage.map(service.get("environment")).forEach((name, value) -> env.put(name, String.valueOf(value)));
        return env;
    }
}
