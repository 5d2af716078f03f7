package dev.tether.dist;

import dev.tether.agent.json.Json;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A real Tether server for the package tests: {@code java -jar tether.jar server} on a loopback port the system
 * picks, plain HTTP, on a data directory of the test's, with a known admin token; a small REST client for it.
 *
 * <p>Not thread safe: one test drives it.
 */
final class TetherServer implements AutoCloseable {

    static final String ADMIN_TOKEN = "tat_dist-test-admin-token";
    private static final Pattern LISTENING = Pattern.compile("listening on http://127\\.0\\.0\\.1:(\\d+)");

    private final Process process;
    private final Path log;
    private final int port;
    private final HttpClient http = HttpClient.newHttpClient();

    private TetherServer(Process process, Path log, int port) {
        this.process = process;
        this.log = log;
        this.port = port;
    }

    static TetherServer start(Path dir) throws IOException, InterruptedException {
        Path log = dir.resolve("server.log");
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        ProcessBuilder builder = new ProcessBuilder(java.toString(), "-Xmx256m", "-XX:TieredStopAtLevel=1",
                "--sun-misc-unsafe-memory-access=allow", "-jar", AgentPackage.serverJar().toString(), "server",
                "--insecure-http", "--listen", "127.0.0.1:0", "--data-dir", dir.resolve("data").toString())
                .redirectErrorStream(true)
                .redirectOutput(log.toFile());
        builder.environment().put("TETHER_ADMIN_TOKEN", ADMIN_TOKEN);
        Process process = builder.start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (System.nanoTime() < deadline) {
            Matcher listening = LISTENING.matcher(Files.exists(log) ? Files.readString(log) : "");
            if (listening.find()) {
                return new TetherServer(process, log, Integer.parseInt(listening.group(1)));
            }
            if (!process.isAlive()) {
                break;
            }
            Thread.sleep(100);
        }
        process.destroyForcibly();
        throw new AssertionError("the server did not start within 60 s:\n" + Files.readString(log));
    }

    URI url() {
        return URI.create("http://127.0.0.1:" + port);
    }

    Path log() {
        return log;
    }

    /** GET PATH as the admin: the body's top-level members; fails on any status but 200. */
    Map<String, Json.Member> get(String path) throws IOException, InterruptedException {
        return send(HttpRequest.newBuilder(url().resolve(path)).GET(), 200);
    }

    /** GET PATH as the admin, or null when it is not found (404). */
    Map<String, Json.Member> find(String path) throws IOException, InterruptedException {
        HttpResponse<String> response = http.send(HttpRequest.newBuilder(url().resolve(path))
                .header("Authorization", "Bearer " + ADMIN_TOKEN).GET().build(), HttpResponse.BodyHandlers.ofString());
        return response.statusCode() == 404 ? null : get(path);
    }

    /** POST PATH with a JSON body as the admin; fails on any status but 201 or 200. */
    Map<String, Json.Member> post(String path, Map<String, ?> body) throws IOException, InterruptedException {
        return send(HttpRequest.newBuilder(url().resolve(path)).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(Json.object(body))), 201);
    }

    /** The text of GET PATH. */
    String text(String path) throws IOException, InterruptedException {
        HttpResponse<String> response = http.send(HttpRequest.newBuilder(url().resolve(path))
                .header("Authorization", "Bearer " + ADMIN_TOKEN).GET().build(), HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() != 200) {
            throw new AssertionError("GET " + path + ": " + response.statusCode() + " " + response.body());
        }
        return response.body();
    }

    private Map<String, Json.Member> send(HttpRequest.Builder request, int expected)
            throws IOException, InterruptedException {
        HttpRequest built = request.header("Authorization", "Bearer " + ADMIN_TOKEN)
                .timeout(Duration.ofSeconds(30)).build();
        HttpResponse<String> response = http.send(built, HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() != expected && response.statusCode() != 200) {
            throw new AssertionError(built.method() + " " + built.uri() + ": " + response.statusCode() + " "
                    + response.body());
        }
        return Json.members(response.body());
    }

    @Override
    public void close() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(15, TimeUnit.SECONDS)) {
            process.destroyForcibly().waitFor();
        }
        http.close();
    }
}
