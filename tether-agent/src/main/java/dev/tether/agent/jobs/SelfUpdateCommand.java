package dev.tether.agent.jobs;

import dev.tether.agent.Agent;
import dev.tether.agent.JobResult;
import dev.tether.agent.json.Json;
import dev.tether.agent.state.FileModes;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Arrays;
import java.util.Map;
import java.util.function.Supplier;
import java.util.jar.Attributes;
import java.util.jar.JarFile;
import java.util.jar.Manifest;

/**
 * The built-in {@code self_update} command: params {@code {"url": "http(s)://...",
 * "sha256": "<64 hex>"}}.
 *
 * <ol>
 * <li>Downloads the new agent jar to {@code <state-dir>/updates/<job id>.jar}
 * (at most {@link #MAX_DOWNLOAD_BYTES}), hashing it on the way.
 * <li>A SHA-256 other than the expected one: the download is deleted and the job
 * fails with "sha256 mismatch: expected … got …"; the agent keeps running.
 * <li>Replaces the running jar (the code source of the agent's classes; refused
 * when the agent does not run from a jar): the old one is kept as
 * {@code <jar>.previous}, the new one is copied beside the jar and renamed over
 * it, so the path holds the old or the new jar, never a torn one. The running
 * JVM keeps reading the old file, which it holds open.
 * <li>The new jar is on trial ({@link UpdateTrial}): it goes back to the old one unless it reaches a server
 * within a minute of its start.
 * <li>The job succeeds (its result names the version before); once its report is durable the agent waits up to 5 s for
 * the server to acknowledge it and exits with {@code Agent.RESTART_EXIT_CODE}
 * (75), which the systemd unit restarts.
 * </ol>
 *
 * <p>Thread safe: stateless between jobs.
 */
final class SelfUpdateCommand implements JobWork {

    static final long MAX_DOWNLOAD_BYTES = 512L * 1024 * 1024;
    static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(30);

    private final Path updatesDir;
    private final Supplier<Path> runningJar;
    private final Runnable restart;

    /**
     * @param runningJar where the agent's classes come from
     * @param restart called on its own thread after the job's report is durable
     */
    SelfUpdateCommand(Path stateDir, Supplier<Path> runningJar, Runnable restart) {
        this.updatesDir = stateDir.resolve("updates");
        this.runningJar = runningJar;
        this.restart = restart;
    }

    /**
     * The jar (or classes directory) the agent's classes were loaded from: the class path's one jar when the
     * JVM was started with {@code -jar} (a class-data archive reports the code source of the machine that made
     * it, not this one's), else the code source of this class.
     */
    static Path codeSource() {
        String classPath = System.getProperty("java.class.path", "");
        if (!classPath.isEmpty() && !classPath.contains(java.io.File.pathSeparator) && classPath.endsWith(".jar")
                && Files.isRegularFile(Path.of(classPath))) {
            return Path.of(classPath).toAbsolutePath();
        }
        try {
            return Path.of(SelfUpdateCommand.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        } catch (URISyntaxException | RuntimeException e) {
            return Path.of("unknown");
        }
    }

    @Override
    public JobResult run(LiveJob job) throws IOException, InterruptedException {
        Map<String, Json.Member> params;
        try {
            params = Json.members(job.params());
        } catch (IllegalArgumentException e) {
            return JobResult.failure("self_update params are " + e.getMessage());
        }
        String url = text(params, "url");
        String expected = text(params, "sha256").toLowerCase(Locale.ROOT);
        if (!url.matches("(?i)https?://.+") || !expected.matches("[0-9a-f]{64}")) {
            return JobResult.failure("self_update params must be {\"url\": \"http(s)://...\", \"sha256\": \"<64 hex "
                    + "digits>\"}");
        }
        Path download = updatesDir.resolve(job.jobId() + ".jar");
        try {
            String actual = download(job, URI.create(url), download);
            if (!actual.equals(expected)) {
                return JobResult.failure("sha256 mismatch: expected " + expected + " got " + actual
                        + "; the download was deleted and the agent keeps running");
            }
            if (!isZip(download)) {
                return JobResult.failure("the download from " + url + " is not a jar (no zip header); refused");
            }
            job.stdout("downloaded " + Files.size(download) + " bytes, sha256 " + actual + "\n");
            Path jar = runningJar.get();
            if (!Files.isRegularFile(jar) || !jar.getFileName().toString().endsWith(".jar")) {
                return JobResult.failure("self_update needs the agent to run from its jar; it runs from " + jar);
            }
            String before = Agent.version();
            String after = manifestVersion(download);
            UpdateTrial.begin(jar, before, after);
            Path previous;
            try {
                previous = replace(jar, download);
            } catch (IOException | RuntimeException e) {
                Files.deleteIfExists(UpdateTrial.marker(jar));
                throw e;
            }
            job.stdout("replaced " + jar + " (the old jar is " + previous + "); restarting; the new jar goes back to "
                    + "the old one unless it reaches the server within " + UpdateTrial.TIMEOUT.toSeconds() + " s\n");
            job.afterEnd(this::restartSoon);
            return JobResult.success(result(jar, previous, actual, before, after));
        } finally {
            Files.deleteIfExists(download);
        }
    }

    private static String text(Map<String, Json.Member> params, String name) {
        Json.Member member = params.get(name);
        return member == null || member.kind() != Json.Member.Kind.STRING ? "" : member.text();
    }

    /** Downloads to {@code target}; returns the SHA-256 of what was downloaded, in lower-case hex. */
    private String download(LiveJob job, URI url, Path target) throws IOException, InterruptedException {
        FileModes.createPrivateDirectory(updatesDir);
        try (HttpClient client = HttpClient.newBuilder().connectTimeout(CONNECT_TIMEOUT)
                .followRedirects(HttpClient.Redirect.NORMAL).build()) {
            HttpResponse<InputStream> response = client.send(HttpRequest.newBuilder(url).GET().build(),
                    HttpResponse.BodyHandlers.ofInputStream());
            try (InputStream body = response.body()) {
                if (response.statusCode() != 200) {
                    throw new IOException("downloading " + url + " failed: HTTP " + response.statusCode());
                }
                job.onCancel(() -> closeQuietly(body));
                return copyHashing(job, body, target);
            }
        }
    }

    private static String copyHashing(LiveJob job, InputStream body, Path target) throws IOException {
        MessageDigest sha256 = sha256();
        long total = 0;
        byte[] buffer = new byte[64 * 1024];
        try (OutputStream out = Files.newOutputStream(target)) {
            int n;
            while ((n = body.read(buffer)) >= 0) {
                total += n;
                if (total > MAX_DOWNLOAD_BYTES) {
                    throw new IOException("the download is larger than " + MAX_DOWNLOAD_BYTES + " bytes; refused");
                }
                if (job.cancelled()) {
                    throw new IOException("cancelled during the download");
                }
                sha256.update(buffer, 0, n);
                out.write(buffer, 0, n);
            }
        }
        return HexFormat.of().formatHex(sha256.digest());
    }

    /** Keeps {@code <jar>.previous} and renames the new jar over the running one; returns the previous jar. */
    static Path replace(Path jar, Path download) throws IOException {
        Path previous = jar.resolveSibling(jar.getFileName() + ".previous");
        Path staged = jar.resolveSibling(jar.getFileName() + ".new");
        Files.copy(jar, previous, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.COPY_ATTRIBUTES);
        Files.copy(download, staged, StandardCopyOption.REPLACE_EXISTING);
        try {
            Files.setPosixFilePermissions(staged, Files.getPosixFilePermissions(jar));
        } catch (UnsupportedOperationException e) {
            // Not a POSIX file system: the default mode will do.
        }
        try (FileChannel channel = FileChannel.open(staged, StandardOpenOption.WRITE)) {
            channel.force(true);
        }
        Files.move(staged, jar, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        return previous;
    }

    /** The Implementation-Version of a jar's manifest, or "unknown" when it has none or cannot be read. */
    static String manifestVersion(Path jarFile) {
        try (JarFile jar = new JarFile(jarFile.toFile())) {
            Manifest manifest = jar.getManifest();
            String version = manifest == null ? null
                    : manifest.getMainAttributes().getValue(Attributes.Name.IMPLEMENTATION_VERSION);
            return version == null || version.isBlank() ? "unknown" : version.strip();
        } catch (IOException | RuntimeException e) {
            return "unknown";
        }
    }

    private static boolean isZip(Path file) throws IOException {
        try (InputStream in = Files.newInputStream(file)) {
            return Arrays.equals(in.readNBytes(4), new byte[] {'P', 'K', 3, 4});
        }
    }

    private static String result(Path jar, Path previous, String sha256, String versionBefore,
            String versionAfter) {
        Map<String, Object> result = new LinkedHashMap<>();
        result.put("version_before", versionBefore);
        result.put("version_after", versionAfter);
        result.put("jar", jar.toString());
        result.put("previous", previous.toString());
        result.put("sha256", sha256);
        result.put("restarting", true);
        return Json.object(result);
    }

    private void restartSoon() {
        Thread thread = new Thread(restart, "tether-restart");
        thread.setDaemon(true);
        thread.start();
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-256", e);
        }
    }

    private static void closeQuietly(InputStream in) {
        try {
            in.close();
        } catch (IOException e) {
            // Closing only to unblock the download.
        }
    }
}
