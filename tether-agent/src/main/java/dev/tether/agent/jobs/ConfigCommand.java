package dev.tether.agent.jobs;

import com.google.protobuf.ByteString;
import dev.tether.agent.JobResult;
import dev.tether.agent.config.ConfigApplier;
import dev.tether.agent.json.Json;
import dev.tether.protocol.v1.ConfigUpdate;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The built-in {@code config} command: params {@code {"version": V, "config": {...}}}
 * (the server stored that config as the agent's version V when it created the
 * job). Applied through the same {@link ConfigApplier} as a {@code ConfigUpdate}:
 * only when V is newer than the applied version, with {@code config.json},
 * {@code config.version}, {@code ConfigApplied} and {@code agent.config_applied}.
 * The job succeeds with {@code {"version": V, "applied": true|false}} (false:
 * that version or a newer one was already applied, e.g. from the Welcome); it
 * fails when the params are not of that shape.
 *
 * <p>Thread safe (the applier is).
 */
final class ConfigCommand implements JobWork {

    private final ConfigApplier configs;

    ConfigCommand(ConfigApplier configs) {
        this.configs = configs;
    }

    @Override
    public JobResult run(LiveJob job) {
        Map<String, Json.Member> params;
        try {
            params = Json.members(job.params());
        } catch (IllegalArgumentException e) {
            return JobResult.failure("config params are " + e.getMessage());
        }
        Json.Member version = params.get("version");
        Json.Member config = params.get("config");
        boolean versionOk = version != null && version.kind() == Json.Member.Kind.NUMBER
                && version.text().matches("[1-9][0-9]{0,17}");
        if (!versionOk || config == null || config.kind() != Json.Member.Kind.OBJECT) {
            return JobResult.failure("config params must be {\"version\": N (a positive integer), "
                    + "\"config\": {...} (an object)}");
        }
        long v = Long.parseLong(version.text());
        boolean applied = configs.apply(0, ConfigUpdate.newBuilder().setVersion(v)
                .setConfigJson(ByteString.copyFromUtf8(config.text())).build());
        job.stdout(applied ? "applied config version " + v + "\n"
                : "config version " + v + " was already applied (or a newer one is)\n");
        Map<String, Object> result = new LinkedHashMap<>();
        result.put("version", v);
        result.put("applied", applied);
        return JobResult.success(Json.object(result));
    }
}
