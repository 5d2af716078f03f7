package dev.tether.bench.generator;

import dev.tether.bench.report.Json;
import dev.tether.bench.sim.Backoff;
import dev.tether.bench.sim.Credentials;
import dev.tether.bench.sim.FleetConfig;
import java.io.IOException;
import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What a generator child process simulates, handed over as a JSON file
 * (mode 0600: it holds agent keys) rather than on the command line, where
 * {@code ps} would show the keys.
 *
 * <p>Format: {@code {"servers": [ws-uri...], "sources": [ip...], "loops": n, "backoff_initial_ms", "backoff_multiplier",
 * "backoff_max_ms", "ramp_per_second", "max_in_flight", "latency_window", "run_id", "deadline_epoch_ms",
 * "agents": [[name, id, key]...]}}.
 *
 * @param deadlineEpochMillis the child exits by itself at this wall-clock time, whatever happens
 */
public record WorkerSpec(FleetConfig config, List<Credentials> agents, long deadlineEpochMillis) {

    public WorkerSpec {
        agents = List.copyOf(agents);
    }

    public void write(Path file) throws IOException {
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("servers", config.servers().stream().map(URI::toString).toList());
        json.put("sources", config.sourceAddresses().stream().map(InetAddress::getHostAddress).toList());
        json.put("loops", config.eventLoops());
        json.put("backoff_initial_ms", config.backoff().initial().toMillis());
        json.put("backoff_multiplier", config.backoff().multiplier());
        json.put("backoff_max_ms", config.backoff().max().toMillis());
        json.put("ramp_per_second", config.rampPerSecond());
        json.put("max_in_flight", config.maxInFlight());
        json.put("latency_window", config.latencyWindow());
        json.put("run_id", config.runId());
        json.put("deadline_epoch_ms", deadlineEpochMillis);
        json.put("agents", agents.stream().map(c -> List.of(c.name(), c.id(), c.key())).toList());
        Files.deleteIfExists(file);
        if (FileSystems.getDefault().supportedFileAttributeViews().contains("posix")) {
            Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        }
        Files.writeString(file, Json.write(json));
    }

    public static WorkerSpec read(Path file) throws IOException {
        Map<String, Object> json = Json.parseObject(Files.readString(file));
        List<InetAddress> sources = new ArrayList<>();
        for (Object ip : (List<?>) json.get("sources")) {
            try {
                sources.add(InetAddress.getByName((String) ip));
            } catch (UnknownHostException e) {
                throw new IOException("bad source address " + ip + " in " + file, e);
            }
        }
        Backoff backoff = new Backoff(Duration.ofMillis(num(json, "backoff_initial_ms")),
                ((Number) json.get("backoff_multiplier")).doubleValue(),
                Duration.ofMillis(num(json, "backoff_max_ms")));
        List<URI> servers = ((List<?>) json.get("servers")).stream().map(u -> URI.create((String) u)).toList();
        FleetConfig config = new FleetConfig(servers, sources,
                (int) num(json, "loops"), backoff, (int) num(json, "ramp_per_second"),
                (int) num(json, "max_in_flight"), (int) num(json, "latency_window"), (String) json.get("run_id"));
        List<Credentials> agents = new ArrayList<>();
        for (Object row : (List<?>) json.get("agents")) {
            List<?> cells = (List<?>) row;
            agents.add(new Credentials((String) cells.get(0), (String) cells.get(1), (String) cells.get(2)));
        }
        return new WorkerSpec(config, agents, num(json, "deadline_epoch_ms"));
    }

    private static long num(Map<String, Object> json, String key) {
        return ((Number) json.get(key)).longValue();
    }
}
