package dev.tether.serverdist;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.zip.GZIPInputStream;
import org.yaml.snakeyaml.Yaml;

/**
 * The image tar ({@code src/dist/build-image}) opened as a container engine opens it: the OCI layout's index, the
 * manifest and the config it names, and the layers unpacked in order into a root file system, as root so that
 * the owners recorded in the layers are kept.
 *
 * <p>Not thread safe; read-only after {@link #open}.
 */
final class OciImage {

    final Path layout;
    final Map<String, Object> index;
    final Map<String, Object> manifest;
    final Map<String, Object> config;
    /** Docker's {@code manifest.json}: one entry. */
    final Map<String, Object> dockerManifest;

    private OciImage(Path layout, Map<String, Object> index, Map<String, Object> manifest, Map<String, Object> config,
            Map<String, Object> dockerManifest) {
        this.layout = layout;
        this.index = index;
        this.manifest = manifest;
        this.config = config;
        this.dockerManifest = dockerManifest;
    }

    static OciImage open(Path tar, Path dir) throws IOException, InterruptedException {
        Commands.run(List.of("tar", "-xf", tar.toString(), "-C", dir.toString()), Map.of(), null,
                Duration.ofSeconds(60)).assertExit(0);
        Map<String, Object> index = json(dir.resolve("index.json"));
        Map<String, Object> manifest = json(blob(dir, descriptor(list(index.get("manifests")).get(0))));
        Map<String, Object> config = json(blob(dir, descriptor(manifest.get("config"))));
        List<Object> docker = new Yaml().load(Files.readString(dir.resolve("manifest.json")));
        assertThat(docker).as("Docker's manifest.json").hasSize(1);
        return new OciImage(dir, index, manifest, config, map(docker.get(0)));
    }

    /** The config's {@code config} object: user, entrypoint, environment, ports, volumes. */
    Map<String, Object> runConfig() {
        return map(config.get("config"));
    }

    /** The layers' descriptors, bottom first. */
    List<Map<String, Object>> layers() {
        return list(manifest.get("layers")).stream().map(OciImage::descriptor).toList();
    }

    Path blob(Map<String, Object> descriptor) {
        return blob(layout, descriptor);
    }

    /** Unpacks the layers in order into {@code rootfs}, keeping the owners and modes they record. */
    void unpack(Path rootfs) throws IOException, InterruptedException {
        for (Map<String, Object> layer : layers()) {
            Commands.run(List.of("tar", "--same-owner", "--same-permissions", "-xzf", blob(layer).toString(), "-C",
                    rootfs.toString()), Map.of(), null, Duration.ofSeconds(60)).assertExit(0);
        }
    }

    static String sha256(Path file, boolean gunzip) throws IOException {
        MessageDigest digest;
        try {
            digest = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        try (InputStream raw = Files.newInputStream(file);
                InputStream in = new DigestInputStream(gunzip ? new GZIPInputStream(raw) : raw, digest)) {
            in.transferTo(OutputStream.nullOutputStream());
        }
        return "sha256:" + HexFormat.of().formatHex(digest.digest());
    }

    private static Path blob(Path layout, Map<String, Object> descriptor) {
        String digest = (String) descriptor.get("digest");
        assertThat(digest).startsWith("sha256:");
        return layout.resolve("blobs/sha256/" + digest.substring("sha256:".length()));
    }

    /** JSON is YAML: SnakeYAML, already on the test classpath for compose.yaml, reads it. */
    static Map<String, Object> json(Path file) throws IOException {
        return new Yaml().load(Files.readString(file));
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> map(Object value) {
        assertThat(value).isInstanceOf(Map.class);
        return (Map<String, Object>) value;
    }

    @SuppressWarnings("unchecked")
    static List<Object> list(Object value) {
        assertThat(value).isInstanceOf(List.class);
        return (List<Object>) value;
    }

    private static Map<String, Object> descriptor(Object value) {
        return map(value);
    }
}
