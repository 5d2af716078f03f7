package dev.tether.bench.server;

import dev.tether.bench.report.Json;
import dev.tether.bench.sim.Credentials;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

/**
 * The server's REST API as the bench uses it: enrol agents (many at once,
 * with a bounded number of requests in flight), list agents, read an agent's
 * events, scrape {@code /metrics}. Thread safe.
 */
public final class AdminClient {

    /** REST requests in flight at once while enrolling; the server refuses past 1,024 pending calls. */
    public static final int DEFAULT_CONCURRENCY = 32;
    private static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(30);
    /** For creating a command: stores a job per target before it answers. */
    private static final Duration FANOUT_TIMEOUT = Duration.ofMinutes(10);
    private static final int MAX_ATTEMPTS = 5;
    /** The events API's largest page. */
    private static final int EVENTS_PAGE = 500;
    /** Agents per request while listing them all: the most the server gives. */
    private static final int AGENTS_PAGE = 1000;

    private final URI base;
    private final String token;
    private final HttpClient http;

    private AdminClient(URI base, String token) {
        this.base = base;
        this.token = token;
        this.http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(5)).build();
    }

    public static AdminClient create(URI base, String adminToken) {
        return new AdminClient(base, adminToken);
    }

    /**
     * Creates {@code count} agents named {@code prefix-i} with the label
     * {@code bench=true}, at most {@code concurrency} requests at a time.
     */
    public List<Credentials> createAgents(String prefix, int count, int concurrency) throws IOException {
        Credentials[] created = new Credentials[count];
        AtomicInteger next = new AtomicInteger();
        List<CompletableFuture<Void>> workers = new ArrayList<>();
        for (int w = 0; w < Math.min(concurrency, count); w++) {
            workers.add(createNext(prefix, next, count, created));
        }
        try {
            CompletableFuture.allOf(workers.toArray(CompletableFuture[]::new)).join();
        } catch (RuntimeException e) {
            throw new IOException("enrolling agents failed: " + e.getCause(), e);
        }
        return List.of(created);
    }

    /** One worker: creates agents one after the other until none are left. */
    private CompletableFuture<Void> createNext(String prefix, AtomicInteger next, int count, Credentials[] out) {
        int i = next.getAndIncrement();
        if (i >= count) {
            return CompletableFuture.completedFuture(null);
        }
        String name = prefix + "-" + i;
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("name", name);
        body.put("labels", Map.of("bench", "true"));
        return sendWithRetry(post("/api/v1/agents", Json.write(body)), 201, 1).thenCompose(reply -> {
            Map<String, Object> agent = Json.parseObject(reply);
            out[i] = new Credentials(name, (String) agent.get("id"), (String) agent.get("key"));
            return createNext(prefix, next, count, out);
        });
    }

    /** Every agent the server knows, following {@code GET /api/v1/agents}'s pages ({@code next_before}). */
    private List<Map<?, ?>> agents() throws IOException, InterruptedException {
        List<Map<?, ?>> agents = new ArrayList<>();
        Object before = null;
        do {
            String query = "?limit=" + AGENTS_PAGE
                    + (before == null ? "" : "&before=" + URLEncoder.encode((String) before, StandardCharsets.UTF_8));
            Map<String, Object> reply = Json.parseObject(send(get("/api/v1/agents" + query), 200));
            for (Object agent : (List<?>) reply.get("agents")) {
                agents.add((Map<?, ?>) agent);
            }
            before = reply.get("next_before");
        } while (before != null);
        return agents;
    }

    /** Every agent the server knows: id to status ("online" or "offline"). */
    public Map<String, String> agentStatuses() throws IOException, InterruptedException {
        Map<String, String> statuses = new HashMap<>();
        for (Map<?, ?> agent : agents()) {
            statuses.put((String) agent.get("id"), (String) agent.get("status"));
        }
        return statuses;
    }

    /**
     * Where every online agent is held in a cluster: id to the node holding it ({@code node} of
     * {@code GET /api/v1/agents}); offline agents and agents without a holder are left out.
     */
    public Map<String, String> agentHolders() throws IOException, InterruptedException {
        Map<String, String> holders = new HashMap<>();
        for (Map<?, ?> agent : agents()) {
            if ("online".equals(agent.get("status")) && agent.get("node") instanceof String node) {
                holders.put((String) agent.get("id"), node);
            }
        }
        return holders;
    }

    /** {@code GET /api/v1/cluster/nodes}: every node of the cluster, each as its JSON object. */
    public List<Map<String, Object>> clusterNodes() throws IOException, InterruptedException {
        Map<String, Object> reply = Json.parseObject(send(get("/api/v1/cluster/nodes"), 200));
        List<Map<String, Object>> nodes = new ArrayList<>();
        for (Object o : (List<?>) reply.get("nodes")) {
            @SuppressWarnings("unchecked")
            Map<String, Object> node = (Map<String, Object>) o;
            nodes.add(node);
        }
        return nodes;
    }

    /** Every event of one type of an agent, oldest first, following the pages. */
    public List<Map<String, Object>> events(String agentId, String type) throws IOException, InterruptedException {
        List<Map<String, Object>> all = new ArrayList<>();
        Long before = null;
        do {
            String query = "?type=" + URLEncoder.encode(type, StandardCharsets.UTF_8) + "&limit=" + EVENTS_PAGE
                    + (before == null ? "" : "&before=" + before);
            Map<String, Object> page = Json.parseObject(send(get("/api/v1/agents/" + agentId + "/events" + query),
                    200));
            for (Object event : (List<?>) page.get("events")) {
                @SuppressWarnings("unchecked")
                Map<String, Object> e = (Map<String, Object>) event;
                all.add(e);
            }
            before = page.get("next_before") instanceof Number n ? n.longValue() : null;
        } while (before != null);
        return all.reversed();
    }

    /**
     * {@code POST /api/v1/commands}: an exec command to these agents (ids), no concurrency or error limit.
     * The request body is encoded before the clock starts and the reply parsed after it stops.
     */
    public CreatedCommand createCommand(List<String> agentIds, List<String> argv) throws IOException,
            InterruptedException {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("agents", agentIds);
        body.put("type", "exec");
        body.put("argv", argv);
        // One transaction stores a job and an outbox row per agent: tens of thousands take longer than a read.
        HttpRequest request = HttpRequest.newBuilder(post("/api/v1/commands", Json.write(body)), (name, value) -> true)
                .timeout(FANOUT_TIMEOUT).build();
        long start = System.nanoTime();
        String reply = send(request, 201);
        double millis = (System.nanoTime() - start) / 1e6;
        return new CreatedCommand((String) Json.parseObject(reply).get("id"), millis);
    }

    /**
     * @param roundTripMillis from sending the request to the whole reply read (it lists every job)
     */
    public record CreatedCommand(String id, double roundTripMillis) {
    }

    /** {@code GET /api/v1/commands/{id}}: its state, job count and counts per job state. */
    public Map<String, Object> command(String id) throws IOException, InterruptedException {
        return Json.parseObject(send(get("/api/v1/commands/" + id), 200));
    }

    /** {@code /metrics} as series (name with labels, as printed) to value. */
    public Map<String, Double> metrics() throws IOException, InterruptedException {
        return parseMetrics(send(HttpRequest.newBuilder(base.resolve("/metrics")).timeout(REQUEST_TIMEOUT).GET()
                .build(), 200));
    }

    /** Agents with a live connection to this server ({@code tether_agents_connected}, over its labels). */
    public long connectedAgents() throws IOException, InterruptedException {
        return Math.round(metrics().entrySet().stream()
                .filter(e -> e.getKey().equals("tether_agents_connected")
                        || e.getKey().startsWith("tether_agents_connected{"))
                .mapToDouble(Map.Entry::getValue).sum());
    }

    static Map<String, Double> parseMetrics(String text) {
        Map<String, Double> series = new LinkedHashMap<>();
        for (String line : text.split("\n")) {
            if (line.isBlank() || line.startsWith("#")) {
                continue;
            }
            int space = line.lastIndexOf(' ');
            try {
                series.put(line.substring(0, space).trim(), Double.parseDouble(line.substring(space + 1)));
            } catch (NumberFormatException | StringIndexOutOfBoundsException e) {
                // Not a sample line: skip it.
            }
        }
        return series;
    }

    // ------------------------------------------------------------------ HTTP

    private HttpRequest get(String path) {
        return authorized(path).GET().build();
    }

    private HttpRequest post(String path, String json) {
        return authorized(path).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(json)).build();
    }

    private HttpRequest.Builder authorized(String path) {
        return HttpRequest.newBuilder(base.resolve(path)).timeout(REQUEST_TIMEOUT)
                .header("Authorization", "Bearer " + token);
    }

    private String send(HttpRequest request, int expected) throws IOException, InterruptedException {
        HttpResponse<String> response = http.send(request, HttpResponse.BodyHandlers.ofString());
        return check(request, response, expected);
    }

    /** Retries 503 (the server's pending-call bound) and I/O errors with a short random pause. */
    private CompletableFuture<String> sendWithRetry(HttpRequest request, int expected, int attempt) {
        return http.sendAsync(request, HttpResponse.BodyHandlers.ofString()).handle((response, failure) -> {
            boolean retry = attempt < MAX_ATTEMPTS && (failure != null || response.statusCode() == 503);
            if (retry) {
                return CompletableFuture.supplyAsync(() -> null, CompletableFuture.delayedExecutor(
                        ThreadLocalRandom.current().nextLong(50, 250L * attempt), TimeUnit.MILLISECONDS))
                        .thenCompose(v -> sendWithRetry(request, expected, attempt + 1));
            }
            if (failure != null) {
                return CompletableFuture.<String>failedFuture(failure);
            }
            try {
                return CompletableFuture.completedFuture(check(request, response, expected));
            } catch (IOException e) {
                return CompletableFuture.<String>failedFuture(e);
            }
        }).thenCompose(Function.identity());
    }

    private static String check(HttpRequest request, HttpResponse<String> response, int expected)
            throws IOException {
        if (response.statusCode() != expected) {
            throw new IOException(request.method() + " " + request.uri().getPath() + " answered "
                    + response.statusCode() + ": " + response.body());
        }
        return response.body();
    }
}
