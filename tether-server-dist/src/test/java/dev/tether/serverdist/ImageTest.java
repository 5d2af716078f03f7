package dev.tether.serverdist;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The OCI image tar: a layout that {@code docker load} and {@code podman load} take, and a root file system in
 * which the entrypoint runs the server as the image's user. No container engine here: the layers are unpacked into
 * a directory and the entrypoint is run there with {@code chroot}, in a mount namespace of its own ({@code unshare})
 * with {@code /proc} and {@code /dev} as an engine gives them, with the image's environment and user, and the
 * settings an operator adds ({@code -e}, a mounted certificate).
 */
class ImageTest {

    @TempDir
    static Path dir;
    private static OciImage image;
    private static Path rootfs;

    @BeforeAll
    static void unpack() throws Exception {
        image = OciImage.open(ServerPackage.image(), Files.createDirectory(dir.resolve("layout")));
        rootfs = Files.createDirectory(dir.resolve("rootfs"));
        image.unpack(rootfs);
    }

    @Test
    void theTarIsAnOciLayoutWithDockersManifestBesideIt() throws Exception {
        assertThat(Files.readString(image.layout.resolve("oci-layout"))).contains("\"imageLayoutVersion\":\"1.0.0\"");
        Map<String, Object> entry = OciImage.map(OciImage.list(image.index.get("manifests")).get(0));
        assertThat(OciImage.map(entry.get("annotations"))).containsEntry("org.opencontainers.image.ref.name",
                ServerPackage.VERSION).containsEntry("io.containerd.image.name",
                "docker.io/library/tether-server:" + ServerPackage.VERSION);
        assertThat(image.dockerManifest.get("RepoTags")).isEqualTo(List.of("tether-server:" + ServerPackage.VERSION));

        for (Map<String, Object> descriptor : Stream.concat(Stream.of(entry,
                OciImage.map(image.manifest.get("config"))), image.layers().stream()).toList()) {
            Path blob = image.blob(descriptor);
            assertThat(OciImage.sha256(blob, false)).as("the digest of %s", blob).isEqualTo(descriptor.get("digest"));
            assertThat(Files.size(blob)).isEqualTo(((Number) descriptor.get("size")).longValue());
        }
        List<Object> diffIds = OciImage.list(OciImage.map(image.config.get("rootfs")).get("diff_ids"));
        List<String> layerFiles = new ArrayList<>();
        for (int i = 0; i < image.layers().size(); i++) {
            Map<String, Object> layer = image.layers().get(i);
            assertThat(layer.get("mediaType")).isEqualTo("application/vnd.oci.image.layer.v1.tar+gzip");
            assertThat(OciImage.sha256(image.blob(layer), true)).as("diff_id of layer %d", i).isEqualTo(diffIds.get(i));
            layerFiles.add(image.layout.relativize(image.blob(layer)).toString());
        }
        assertThat(image.dockerManifest.get("Layers")).isEqualTo(layerFiles);
        assertThat(image.dockerManifest.get("Config"))
                .isEqualTo(image.layout.relativize(image.blob(OciImage.map(image.manifest.get("config")))).toString());
    }

    @Test
    void theServerRunsAsAnUnprivilegedUserThatOwnsOnlyTheDataVolume() throws Exception {
        Map<String, Object> config = image.runConfig();
        assertThat(config.get("User")).isEqualTo("10001:10001");
        assertThat(config.get("Entrypoint")).isEqualTo(List.of("/opt/tether/bin/tether"));
        assertThat(config.get("Cmd")).isEqualTo(List.of("server"));
        assertThat(OciImage.map(config.get("Volumes"))).containsOnlyKeys("/var/lib/tether");
        assertThat(OciImage.map(config.get("ExposedPorts"))).containsOnlyKeys("8080/tcp");
        assertThat(env()).containsEntry("TETHER_DATA_DIR", "/var/lib/tether")
                .containsEntry("TETHER_LISTEN", "0.0.0.0:8080");
        List<Object> healthcheck = OciImage.list(OciImage.map(config.get("Healthcheck")).get("Test"));
        assertThat(rootfs.resolve(((String) healthcheck.get(1)).substring(1))).isExecutable();

        assertThat(Files.readString(rootfs.resolve("etc/passwd"))).contains("tether:x:10001:10001:");
        assertThat(Files.getAttribute(rootfs.resolve("var/lib/tether"), "unix:uid")).isEqualTo(10001);
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(rootfs.resolve("var/lib/tether"))))
                .isEqualTo("rwx------");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(rootfs.resolve("tmp"))))
                .isEqualTo("rwxrwxrwx");
        try (Stream<Path> files = Files.walk(rootfs.resolve("opt"))) {
            assertThat(files.filter(file -> !isRootsAndReadOnlyToOthers(file)).toList())
                    .as("files under /opt the server's user could change").isEmpty();
        }
    }

    @Test
    void theEntrypointServesTlsOnItsDataVolumeAndPrintsTheFirstAdminToken() throws Exception {
        requireChroot();
        TestPki ca = TestPki.authority("image test CA");
        Path tls = Files.createDirectories(rootfs.resolve("etc/tether/tls"));
        ca.issueServer(tls);
        for (Path file : List.of(tls.resolve("cert.pem"), tls.resolve("key.pem"))) {
            Files.setAttribute(file, "unix:uid", 10001);
            Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("r--------"));
        }
        Map<String, String> env = env();
        int port = freePort();
        env.putAll(Map.of("TETHER_LISTEN", "127.0.0.1:" + port, "TETHER_TLS_CERT", "/etc/tether/tls/cert.pem",
                "TETHER_TLS_KEY", "/etc/tether/tls/key.pem", "TETHER_JAVA_OPTS", "-Xmx256m -XX:TieredStopAtLevel=1"));

        try (RunningServer server = RunningServer.start(inImage(entrypoint()), env, dir.resolve("image-server.log"),
                null, ca.clientContext())) {
            assertThat(server.url().toString()).isEqualTo("https://127.0.0.1:" + port);
            assertThat(server.token()).as("the admin token of the first start").startsWith("tat_");
            assertThat(server.status("/readyz")).isEqualTo(200);
            server.post("/api/v1/enrollment-tokens", Map.of("description", "made in the image"));
            assertThat(server.text("/api/v1/enrollment-tokens")).contains("made in the image");
            int page = server.status("/");
            assertThat(page).as("the web UI, or the page saying how to build it").isIn(200, 503);

            Commands.Result health = Commands.run(inImage(List.of("/opt/tether/bin/tether-ready")), whole(env), null,
                    Duration.ofSeconds(30));
            assertThat(health.exit()).as("the image's healthcheck: %s", health.err()).isZero();
            assertThat(server.stop()).as("docker stop: SIGTERM to the JVM, PID 1 of the container").isEqualTo(143);
        }
        assertThat(Files.getAttribute(rootfs.resolve("var/lib/tether/tether.db"), "unix:uid")).isEqualTo(10001);
    }

    @Test
    void aVolumeTheImagesUserCannotWriteOrNoTlsStopsTheServerWithAMessage() throws Exception {
        requireChroot();
        Map<String, String> noTls = env();
        noTls.put("TETHER_JAVA_OPTS", "-XX:TieredStopAtLevel=1");
        Commands.Result refused = RunningServer.refused(inImage(entrypoint()), noTls);
        assertThat(refused.exit()).isEqualTo(2);
        assertThat(refused.err()).contains("refusing to serve plain HTTP: pass --tls-cert/--tls-key, or --insecure-http");

        // A bind mount of a host directory the host's root owns.
        Files.createDirectories(rootfs.resolve("srv/data"));
        Map<String, String> rootOwned = new HashMap<>(noTls);
        rootOwned.putAll(Map.of("TETHER_DATA_DIR", "/srv/data", "TETHER_INSECURE_HTTP", "true"));
        Commands.Result unwritable = RunningServer.refused(inImage(entrypoint()), rootOwned);
        assertThat(unwritable.exit()).isEqualTo(2);
        assertThat(unwritable.err()).contains("cannot write the data dir /srv/data as user tether",
                "chown -R tether /srv/data").doesNotContain("\tat ");
    }

    /** The image's Env as a map, to add an operator's settings to. */
    private static Map<String, String> env() {
        Map<String, String> env = new HashMap<>();
        for (Object entry : OciImage.list(image.runConfig().get("Env"))) {
            String[] pair = ((String) entry).split("=", 2);
            env.put(pair[0], pair[1]);
        }
        return env;
    }

    private static List<String> entrypoint() {
        List<String> command = new ArrayList<>();
        OciImage.list(image.runConfig().get("Entrypoint")).forEach(part -> command.add((String) part));
        OciImage.list(image.runConfig().get("Cmd")).forEach(part -> command.add((String) part));
        return command;
    }

    /** {@code command} run inside the root file system as the image's user, with /proc and /dev mounted. */
    private static List<String> inImage(List<String> command) {
        List<String> wrapped = new ArrayList<>(List.of("/usr/bin/unshare", "--mount", "--propagation", "private",
                "/bin/sh", "-c", "root=$1 user=$2; shift 2; /usr/bin/mount -t proc proc \"$root/proc\" "
                        + "&& /usr/bin/mount --rbind /dev \"$root/dev\" "
                        + "&& exec /usr/sbin/chroot --userspec=\"$user\" \"$root\" \"$@\"",
                "sh", rootfs.toString(), (String) image.runConfig().get("User")));
        wrapped.addAll(command);
        return wrapped;
    }

    private static Map<String, String> whole(Map<String, String> env) {
        Map<String, String> whole = new HashMap<>(env);
        whole.put("-", "");
        return whole;
    }

    private static void requireChroot() throws IOException {
        ServerPackage.require(ServerTarballTest.isRoot(), "not root: chroot and mount need root");
        for (String tool : List.of("/usr/bin/unshare", "/usr/bin/mount", "/usr/sbin/chroot")) {
            ServerPackage.require(Files.isExecutable(Path.of(tool)), "no " + tool + " (util-linux, coreutils)");
        }
        Files.createDirectories(rootfs.resolve("proc"));
        Files.createDirectories(rootfs.resolve("dev"));
    }

    private static boolean isRootsAndReadOnlyToOthers(Path file) {
        try {
            String mode = PosixFilePermissions.toString(Files.getPosixFilePermissions(file));
            return Integer.valueOf(0).equals(Files.getAttribute(file, "unix:uid")) && mode.charAt(4) == '-'
                    && mode.charAt(7) == '-';
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }
}
