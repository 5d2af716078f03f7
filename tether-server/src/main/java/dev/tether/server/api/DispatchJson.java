package dev.tether.server.api;

import dev.tether.server.dispatch.AfterCommit;
import dev.tether.server.dispatch.CommandRecord;
import dev.tether.server.dispatch.JobRecord;
import dev.tether.server.dispatch.JobState;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** The JSON form of commands and jobs in the REST API and the output streams. Stateless. */
final class DispatchJson {

    private DispatchJson() {
    }

    /**
     * A command: what was asked, its state and job counts, and its jobs when {@code jobs} is not null.
     * Every field is always present ({@code argv} empty and {@code params} null as the type requires).
     */
    static JsonObject command(CommandRecord command, Map<JobState, Long> counts, List<JobRecord> jobs) {
        JsonObject env = new JsonObject();
        command.env().forEach(env::put);
        long jobCount = counts.values().stream().mapToLong(Long::longValue).sum();
        JsonObject json = new JsonObject()
                .put("id", command.id())
                .put("type", command.type())
                .put("argv", new JsonArray(new ArrayList<Object>(command.argv())))
                .put("env", env)
                .put("cwd", command.cwd())
                .put("params", command.params())
                .put("target", command.targetJson())
                .put("timeout_s", command.timeoutSeconds())
                .put("deadline_s", command.deadlineSeconds())
                .put("max_concurrency", command.maxConcurrency())
                .put("max_errors", command.maxErrors())
                .put("created_by", command.createdBy())
                .put("created_at", ApiResponses.time(command.createdAt()))
                .put("finished_at", ApiResponses.time(command.finishedAt()))
                .put("state", command.state().wire())
                .put("job_count", jobCount)
                .put("counts", AfterCommit.countsJson(counts));
        if (jobs != null) {
            json.put("jobs", jobs(jobs));
        }
        return json;
    }

    static JsonArray jobs(List<JobRecord> jobs) {
        JsonArray array = new JsonArray();
        jobs.forEach(job -> array.add(job(job)));
        return array;
    }

    /** A job with its agent, state, outcome and timestamps. */
    static JsonObject job(JobRecord job) {
        return new JsonObject()
                .put("id", job.id())
                .put("command_id", job.commandId())
                .put("agent_id", job.agentId())
                .put("agent_name", job.agentName())
                .put("type", job.type())
                .put("state", job.state().wire())
                .put("exit_code", job.exitCode())
                .put("error", job.error())
                .put("result", json(job.result()))
                .put("cancel_requested", job.cancelRequestedAt() != null)
                .put("output_bytes", job.outputBytes())
                .put("created_at", ApiResponses.time(job.createdAt()))
                .put("delivered_at", ApiResponses.time(job.deliveredAt()))
                .put("started_at", ApiResponses.time(job.startedAt()))
                .put("finished_at", ApiResponses.time(job.finishedAt()))
                .put("deadline_at", ApiResponses.time(job.deadlineAt()));
    }

    /** A job's state as the command output stream shows it. */
    static JsonObject jobState(JobRecord job) {
        return new JsonObject()
                .put("job_id", job.id())
                .put("agent_id", job.agentId())
                .put("agent_name", job.agentName())
                .put("state", job.state().wire())
                .put("exit_code", job.exitCode())
                .put("error", job.error());
    }

    /** Stored JSON text as JSON; text that is not valid JSON comes back as a string. */
    static Object json(String text) {
        if (text == null) {
            return null;
        }
        try {
            return Json.decodeValue(text);
        } catch (DecodeException e) {
            return text;
        }
    }
}
