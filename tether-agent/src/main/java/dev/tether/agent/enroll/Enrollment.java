package dev.tether.agent.enroll;

import dev.tether.agent.connection.ServerRotation;
import dev.tether.agent.json.Json;
import dev.tether.agent.state.FileModes;
import java.io.IOException;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.random.RandomGenerator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Joining a fleet with an enrollment token: the first start presents the token
 * to {@code POST /v1/agents/enroll} and stores the key the server issues in
 * {@code STATE_DIR/agent.key} (mode 0600); every later start uses that key and
 * never the token again. The token is read from a file and never logged.
 *
 * <p>An unreachable or overloaded server is retried with backoff (1 s doubling
 * to 30 s, full jitter, honouring {@code Retry-After}); a refused token (unknown,
 * revoked, expired, used up) is final and ends the attempt with the server's
 * reason. With several server URLs (a cluster's nodes) each attempt goes to the
 * next, in an order shuffled once, as the connection loop does.
 *
 * <p>Blocking; not thread safe (one call at start-up).
 */
public final class Enrollment {

    /** Where an enrolled agent keeps its key, in its state dir. */
    public static final String KEY_FILE = "agent.key";
    private static final Duration MAX_BACKOFF = Duration.ofSeconds(30);
    private static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(30);
    private static final Logger log = LoggerFactory.getLogger(Enrollment.class);

    private final HttpClient http;
    private final RandomGenerator random;

    public Enrollment(HttpClient http) {
        this(http, new SplittableRandom());
    }

    /** @param random orders the servers and draws the backoff; tests pass a seeded one */
    public Enrollment(HttpClient http, RandomGenerator random) {
        this.http = http;
        this.random = random;
    }

    /** The key stored by an earlier enrollment, or null. */
    public static String storedKey(Path stateDir) throws IOException {
        Path file = stateDir.resolve(KEY_FILE);
        if (!Files.exists(file)) {
            return null;
        }
        String key = Files.readString(file).strip();
        return key.isEmpty() ? null : key;
    }

    /**
     * The agent's key: the stored one, or a new one from enrolling with the token in {@code tokenFile}.
     *
     * @param servers the server's URLs (its nodes), at least one, tried in turn
     * @param name the name to enrol under (the server adds a suffix when it is taken)
     * @throws IllegalArgumentException when the token file is missing or empty, or a URL is not allowed
     * @throws IllegalStateException when the server refuses the token, with its reason
     */
    public String keyFor(List<URI> servers, boolean insecure, Path stateDir, Path tokenFile, String name)
            throws IOException, InterruptedException {
        String stored = storedKey(stateDir);
        if (stored != null) {
            return stored;
        }
        servers.forEach(server -> checkScheme(server, insecure));
        String token = readToken(tokenFile);
        ServerRotation endpoints = ServerRotation.shuffled(servers.stream().map(Enrollment::endpoint).toList(),
                random);
        long backoffMillis = 1000;
        while (true) {
            Long retryAfter = attempt(endpoints.next(), token, name, stateDir);
            if (retryAfter == null) {
                return storedKey(stateDir);
            }
            long wait = retryAfter > 0 ? retryAfter : random.nextLong(backoffMillis + 1);
            log.info("enrollment: retrying{} in {} ms", endpoints.size() == 1 ? ""
                    : " with " + endpoints.peek().getAuthority(), wait);
            Thread.sleep(wait);
            backoffMillis = Math.min(MAX_BACKOFF.toMillis(), backoffMillis * 2);
        }
    }

    /** @return null when enrolled, else how long to wait (0: use the backoff) */
    private Long attempt(URI endpoint, String token, String name, Path stateDir) throws IOException,
            InterruptedException {
        HttpResponse<String> response;
        try {
            response = http.send(HttpRequest.newBuilder(endpoint)
                    .timeout(REQUEST_TIMEOUT)
                    .header("Authorization", "Bearer " + token)
                    .header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString(Json.object(Map.of("name", name))))
                    .build(), HttpResponse.BodyHandlers.ofString());
        } catch (ConnectException e) {
            log.warn("enrollment: cannot reach {}: {}", endpoint.getAuthority(), e.getMessage());
            return 0L;
        } catch (IOException e) {
            log.warn("enrollment: request to {} failed: {}", endpoint.getAuthority(), e.toString());
            return 0L;
        }
        int status = response.statusCode();
        Map<String, Json.Member> body = members(response.body());
        if (status == 201 && body.containsKey("key")) {
            store(stateDir, body.get("key").text());
            log.info("enrolled as agent {} ({}){}", text(body, "name"), text(body, "agent_id"),
                    "pending".equals(text(body, "status")) ? "; waiting for an operator to approve it" : "");
            return null;
        }
        if (status == 401 || status == 403 || status == 400) {
            throw new IllegalStateException("the server refused the enrollment token (HTTP " + status + "): "
                    + text(body, "message"));
        }
        log.warn("enrollment: the server answered HTTP {}: {}", status, text(body, "message"));
        return response.headers().firstValue("Retry-After").map(Enrollment::seconds).orElse(0L);
    }

    private static void store(Path stateDir, String key) throws IOException {
        FileModes.createPrivateDirectory(stateDir);
        Path temp = stateDir.resolve(KEY_FILE + ".tmp");
        Files.deleteIfExists(temp);
        FileModes.createPrivateFile(temp);
        Files.writeString(temp, key + "\n");
        Files.move(temp, stateDir.resolve(KEY_FILE), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    private static String readToken(Path tokenFile) throws IOException {
        try {
            String token = Files.readString(tokenFile).strip();
            if (token.isEmpty()) {
                throw new IllegalArgumentException("enrollment token file " + tokenFile + " is empty: put the token "
                        + "printed by 'tether enroll-tokens create' in it");
            }
            return token;
        } catch (NoSuchFileException e) {
            throw new IllegalArgumentException("enrollment token file " + tokenFile + " does not exist: create a "
                    + "token with 'tether enroll-tokens create --enroll-token-file FILE'");
        }
    }

    private static void checkScheme(URI server, boolean insecure) {
        String scheme = server.getScheme() == null ? "" : server.getScheme().toLowerCase(Locale.ROOT);
        if (!scheme.equals("https") && !scheme.equals("wss") && !(insecure && (scheme.equals("http")
                || scheme.equals("ws")))) {
            throw new IllegalArgumentException("server URL '" + server + "' must start with https:// to enrol "
                    + "(http:// only with --insecure: the token would cross the network in clear)");
        }
    }

    static URI endpoint(URI server) {
        String scheme = switch (server.getScheme().toLowerCase(Locale.ROOT)) {
            case "http", "ws" -> "http";
            default -> "https";
        };
        String path = server.getRawPath() == null ? "" : server.getRawPath().replaceAll("/+$", "");
        String port = server.getPort() < 0 ? "" : ":" + server.getPort();
        return URI.create(scheme + "://" + server.getHost() + port + path + "/v1/agents/enroll");
    }

    /** This host's name, made into a valid agent name. */
    public static String defaultName() {
        String host;
        try {
            host = InetAddress.getLocalHost().getHostName();
        } catch (UnknownHostException e) {
            host = "agent";
        }
        String name = host.replaceAll("[^A-Za-z0-9._-]", "-");
        return name.isEmpty() ? "agent" : name.length() > 63 ? name.substring(0, 63) : name;
    }

    private static Map<String, Json.Member> members(String body) {
        try {
            return Json.members(body);
        } catch (RuntimeException e) {
            return Map.of();
        }
    }

    private static String text(Map<String, Json.Member> body, String field) {
        Json.Member member = body.get(field);
        return member == null ? "" : member.text();
    }

    private static long seconds(String value) {
        try {
            return Math.max(0, Long.parseLong(value.trim())) * 1000;
        } catch (NumberFormatException e) {
            return 0;
        }
    }
}
