package dev.tether.serverdist;

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
import javax.net.ssl.SSLContext;

/**
 * A server started from the package or the image, as a process of the test: its output goes to a log file, it is
 * ready when it logs the address it listens on, and a small REST client talks to it with the admin token. The
 * token is the one the test gave (TETHER_ADMIN_TOKEN), or the one a first start printed.
 *
 * <p>Not thread safe: one test drives it.
 */
final class RunningServer implements AutoCloseable {

    static final Duration START_TIMEOUT = Duration.ofSeconds(60);
    private static final Pattern LISTENING = Pattern.compile("listening on (https?)://[^ ]+:(\\d+)");
    private static final Pattern PRINTED_TOKEN = Pattern.compile("(?m)^ {4}(tat_\\S+)$");

    private final Process process;
    private final Path log;
    private final URI url;
    private final String token;
    private final HttpClient http;

    private RunningServer(Process process, Path log, URI url, String token, HttpClient http) {
        this.process = process;
        this.log = log;
        this.url = url;
        this.token = token;
        this.http = http;
    }

    /**
     * Starts {@code command} with exactly {@code env} as its environment and waits until it listens.
     *
     * @param token the admin token, or null to take the one the server prints on its first start
     * @param tls the client's TLS context for an https server, or null
     */
    static RunningServer start(List<String> command, Map<String, String> env, Path log, String token, SSLContext tls)
            throws IOException, InterruptedException {
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile());
        builder.environment().clear();
        builder.environment().putAll(env);
        Process process = builder.start();
        long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
        while (System.nanoTime() < deadline) {
            String output = Files.readString(log);
            Matcher listening = LISTENING.matcher(output);
            if (listening.find()) {
                Matcher printed = PRINTED_TOKEN.matcher(output);
                String admin = token != null ? token : printed.find() ? printed.group(1) : null;
                HttpClient.Builder http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10));
                if (tls != null) {
                    http.sslContext(tls);
                }
                URI url = URI.create(listening.group(1) + "://127.0.0.1:" + listening.group(2));
                return new RunningServer(process, log, url, admin, http.build());
            }
            if (!process.isAlive()) {
                throw new AssertionError("the server exited with " + process.exitValue() + ":\n" + output);
            }
            Thread.sleep(100);
        }
        process.destroyForcibly();
        throw new AssertionError("the server did not start within " + START_TIMEOUT + ":\n" + Files.readString(log));
    }

    /** Runs {@code command} (a server expected not to start) to its end: its exit code and output. */
    static Commands.Result refused(List<String> command, Map<String, String> env)
            throws IOException, InterruptedException {
        Map<String, String> whole = new java.util.HashMap<>(env);
        whole.put("-", "");
        return Commands.run(command, whole, null, START_TIMEOUT);
    }

    URI url() {
        return url;
    }

    long pid() {
        return process.pid();
    }

    String token() {
        return token;
    }

    String log() throws IOException {
        return Files.readString(log);
    }

    /** The status of an unauthenticated GET. */
    int status(String path) throws IOException, InterruptedException {
        return http.send(HttpRequest.newBuilder(url.resolve(path)).timeout(Duration.ofSeconds(30)).build(),
                HttpResponse.BodyHandlers.discarding()).statusCode();
    }

    /** The body of GET PATH as the admin; fails on any status but 200. */
    String text(String path) throws IOException, InterruptedException {
        return send(HttpRequest.newBuilder(url.resolve(path)).GET(), 200);
    }

    /** POST PATH with a JSON body as the admin: the reply's top-level members; fails on any status but 201. */
    Map<String, Json.Member> post(String path, Map<String, ?> body) throws IOException, InterruptedException {
        return Json.members(send(HttpRequest.newBuilder(url.resolve(path)).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(Json.object(body))), 201));
    }

    private String send(HttpRequest.Builder request, int expected) throws IOException, InterruptedException {
        if (token == null) {
            throw new AssertionError("no admin token: the server printed none and the test gave none");
        }
        HttpRequest built = request.header("Authorization", "Bearer " + token).timeout(Duration.ofSeconds(30)).build();
        HttpResponse<String> response = http.send(built, HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() != expected) {
            throw new AssertionError(built.method() + " " + built.uri() + ": " + response.statusCode() + " "
                    + response.body());
        }
        return response.body();
    }

    /** SIGTERM, as systemd and {@code docker stop} send it; the exit code, once it has stopped. */
    int stop() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(30, TimeUnit.SECONDS)) {
            process.destroyForcibly().waitFor();
            throw new AssertionError("the server did not stop within 30 s of SIGTERM");
        }
        return process.exitValue();
    }

    @Override
    public void close() throws InterruptedException {
        if (process.isAlive()) {
            process.destroy();
            if (!process.waitFor(30, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor();
            }
        }
        http.close();
    }
}
