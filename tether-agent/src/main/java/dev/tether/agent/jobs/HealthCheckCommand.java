package dev.tether.agent.jobs;

import dev.tether.agent.HealthCheck;
import dev.tether.agent.JobResult;
import dev.tether.agent.connection.AgentIdentity;
import dev.tether.agent.json.Json;
import dev.tether.agent.metrics.HostMetrics;
import dev.tether.protocol.v1.Heartbeat;
import java.io.IOException;
import java.nio.file.FileStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.function.LongSupplier;

/**
 * The built-in {@code health_check} command. Its result:
 * <pre>
 * {"healthy": bool,
 *  "checks": {name: {"ok": bool, "message": str}, ...},
 *  "facts": {hostname, os, arch, cpus, mem_total_bytes, mem_used_bytes, disk_total_bytes,
 *            disk_free_bytes, agent_version, uptime_s, outbox_depth, state_dir}}
 * </pre>
 * Built-in checks: {@code state_dir} (writable, at least {@link #MIN_FREE_BYTES}
 * free) and {@code outbox} (fewer than {@link #MAX_HEALTHY_OUTBOX} reports
 * waiting for the server); SDK users add theirs. The job succeeds when every
 * check is ok and fails with the failing checks named otherwise, the result
 * being the same, so {@code tether run} shows unhealthy hosts as failures.
 *
 * <p>Thread safe: checks live in a concurrent map (run in name order).
 */
final class HealthCheckCommand implements JobWork {

    static final long MIN_FREE_BYTES = 64L * 1024 * 1024;
    static final long MAX_HEALTHY_OUTBOX = 10_000;

    private final AgentIdentity identity;
    private final HostMetrics metrics;
    private final Path stateDir;
    private final LongSupplier outboxDepth;
    private final Map<String, HealthCheck> checks = new ConcurrentSkipListMap<>();

    HealthCheckCommand(AgentIdentity identity, HostMetrics metrics, Path stateDir, LongSupplier outboxDepth) {
        this.identity = identity;
        this.metrics = metrics;
        this.stateDir = stateDir;
        this.outboxDepth = outboxDepth;
        checks.put("state_dir", this::stateDirCheck);
        checks.put("outbox", this::outboxCheck);
    }

    /** @throws IllegalArgumentException when a check of that name exists */
    void register(String name, HealthCheck check) {
        if (name == null || name.isBlank()) {
            throw new IllegalArgumentException("health check name is empty");
        }
        if (checks.putIfAbsent(name, check) != null) {
            throw new IllegalArgumentException("health check '" + name + "' is already registered");
        }
    }

    @Override
    public JobResult run(LiveJob job) {
        Map<String, Object> results = new LinkedHashMap<>();
        StringBuilder failing = new StringBuilder();
        checks.forEach((name, check) -> {
            HealthCheck.Result result = runCheck(check);
            Map<String, Object> entry = new LinkedHashMap<>();
            entry.put("ok", result.ok());
            entry.put("message", result.message());
            results.put(name, entry);
            if (!result.ok()) {
                failing.append(failing.isEmpty() ? "" : "; ").append(name).append(": ").append(result.message());
            }
        });
        Map<String, Object> document = new LinkedHashMap<>();
        document.put("healthy", failing.isEmpty());
        document.put("checks", results);
        document.put("facts", facts());
        String json = Json.object(document);
        return failing.isEmpty() ? JobResult.success(json) : JobResult.failure("unhealthy: " + failing, json);
    }

    private static HealthCheck.Result runCheck(HealthCheck check) {
        try {
            HealthCheck.Result result = check.check();
            return result != null ? result : HealthCheck.Result.failed("the check returned no result");
        } catch (Exception e) {
            return HealthCheck.Result.failed("the check failed: " + e);
        }
    }

    private Map<String, Object> facts() {
        Heartbeat sample = metrics.sample(outboxDepth.getAsLong());
        Map<String, Object> facts = new LinkedHashMap<>();
        facts.put("hostname", identity.hostname());
        facts.put("os", identity.os());
        facts.put("arch", identity.arch());
        facts.put("cpus", Runtime.getRuntime().availableProcessors());
        facts.put("mem_total_bytes", sample.getMemTotalBytes());
        facts.put("mem_used_bytes", sample.getMemUsedBytes());
        facts.put("disk_total_bytes", sample.getDiskTotalBytes());
        facts.put("disk_free_bytes", freeBytes());
        facts.put("agent_version", identity.version());
        facts.put("uptime_s", sample.getUptimeS());
        facts.put("outbox_depth", sample.getOutboxDepth());
        facts.put("state_dir", stateDir.toString());
        return facts;
    }

    private long freeBytes() {
        try {
            return Files.getFileStore(stateDir).getUsableSpace();
        } catch (IOException e) {
            return 0;
        }
    }

    private HealthCheck.Result stateDirCheck() throws IOException {
        if (!Files.isWritable(stateDir)) {
            return HealthCheck.Result.failed(stateDir + " is not writable by the agent");
        }
        FileStore disk = Files.getFileStore(stateDir);
        long free = disk.getUsableSpace();
        String message = free / (1024 * 1024) + " MiB free on " + stateDir;
        return free >= MIN_FREE_BYTES ? HealthCheck.Result.ok(message) : HealthCheck.Result.failed(message);
    }

    private HealthCheck.Result outboxCheck() {
        long depth = outboxDepth.getAsLong();
        String message = depth + " report(s) waiting for the server";
        return depth < MAX_HEALTHY_OUTBOX ? HealthCheck.Result.ok(message) : HealthCheck.Result.failed(message);
    }
}
