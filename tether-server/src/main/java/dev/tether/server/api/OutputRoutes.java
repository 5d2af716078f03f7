package dev.tether.server.api;

import dev.tether.server.text.Utf8Text;
import dev.tether.server.dispatch.AfterCommit;
import dev.tether.server.dispatch.CommandRecord;
import dev.tether.server.dispatch.CommandStore;
import dev.tether.server.dispatch.JobOutputStore;
import dev.tether.server.dispatch.JobOutputStore.Chunk;
import dev.tether.server.dispatch.JobRecord;
import dev.tether.server.dispatch.JobState;
import dev.tether.server.dispatch.JobStore;
import dev.tether.server.dispatch.OutputFollow;
import dev.tether.server.dispatch.OutputWatchers;
import dev.tether.server.store.DbExecutor;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Job output. {@code GET /api/v1/jobs/{job}/output} (also under
 * {@code /api/v1/commands/{command}/jobs/{job}/output}) returns
 * {@code {job_id, state, done, chunks: [{idx, stream, data, offset}], next_after, more}},
 * at most {@link #MAX_JSON_BYTES} of data per reply, from {@code ?after=<idx>};
 * {@code GET /api/v1/commands/{command}/output} returns every job's output so
 * far. With {@code ?follow=true} both stream server-sent events instead (see
 * {@link OutputFollower}). Data is UTF-8 text, invalid bytes replaced.
 * Thread safe.
 */
final class OutputRoutes {

    /** Output data in one JSON reply at most. */
    static final long MAX_JSON_BYTES = 4L * 1024 * 1024;
    /** Output data in one command output JSON reply at most; the rest is marked truncated. */
    static final long MAX_COMMAND_JSON_BYTES = 8L * 1024 * 1024;
    /** Output streams one principal may follow at once, of the server's {@link OutputWatchers#MAX_WATCHERS}. */
    static final int MAX_FOLLOWERS_PER_PRINCIPAL = 32;

    private final Vertx vertx;
    private final DbExecutor executor;
    private final CommandStore commands;
    private final JobStore jobs;
    private final JobOutputStore output;
    private final OutputWatchers watchers;
    private final DbCalls db;
    private final StreamQuota quota = new StreamQuota("output streams", MAX_FOLLOWERS_PER_PRINCIPAL);

    OutputRoutes(Vertx vertx, DbExecutor executor, CommandStore commands, JobStore jobs, JobOutputStore output,
            OutputWatchers watchers) {
        this.vertx = vertx;
        this.executor = executor;
        this.commands = commands;
        this.jobs = jobs;
        this.output = output;
        this.watchers = watchers;
        this.db = new DbCalls(executor);
    }

    void mount(Router router) {
        router.get("/api/v1/jobs/:job/output").handler(ctx -> jobOutput(ctx, null));
        router.get("/api/v1/commands/:command/jobs/:job/output")
                .handler(ctx -> jobOutput(ctx, ctx.pathParam("command")));
        router.get("/api/v1/commands/:command/output").handler(this::commandOutput);
    }

    private void jobOutput(RoutingContext ctx, String commandId) {
        String jobId = ctx.pathParam("job");
        boolean follow = StreamParams.follow(ctx, false);
        long after = follow ? StreamParams.lastEventId(ctx, -1) : StreamParams.nonNegative(ctx, "after", -1);
        db.respond(ctx, () -> commandId == null ? JobRoutes.find(jobs, jobId)
                : JobRoutes.jobOfCommand(jobs, commandId, jobId), job -> {
                    if (follow) {
                        OutputFollow reader = new OutputFollow(jobs, output, job.commandId(), job.id(), after + 1);
                        follow(ctx, reader, job.commandId(), true);
                    } else {
                        db.respond(ctx, () -> jobJson(job, after), body -> ApiResponses.json(ctx, 200, body));
                    }
                });
    }

    private void commandOutput(RoutingContext ctx) {
        String commandId = ctx.pathParam("command");
        boolean follow = StreamParams.follow(ctx, false);
        db.respond(ctx, () -> commands.find(commandId).orElseThrow(() -> CommandRoutes.notFound(commandId)),
                command -> {
                    if (follow) {
                        follow(ctx, new OutputFollow(jobs, output, commandId, null, 0), commandId, false);
                    } else {
                        db.respond(ctx, () -> commandJson(command), body -> ApiResponses.json(ctx, 200, body));
                    }
                });
    }

    private void follow(RoutingContext ctx, OutputFollow follow, String commandId, boolean singleJob) {
        Context context = Vertx.currentContext();
        OutputFollower follower = new OutputFollower(context, executor, follow, singleJob);
        Runnable release = quota.acquire(ctx);
        Runnable unwatch = watchers.watch(commandId, follower::nudge);
        if (unwatch == null) {
            release.run();
            throw ApiException.unavailable("more than " + OutputWatchers.MAX_WATCHERS
                    + " output streams are open; retry later");
        }
        SseStream stream = SseStream.open(ctx, follower::pump, () -> {
            follower.ended(vertx);
            release.run();
        });
        follower.start(stream, unwatch, vertx);
    }

    private JsonObject jobJson(JobRecord job, long after) {
        List<Chunk> chunks = output.read(job.id(), after + 1, MAX_JSON_BYTES, Integer.MAX_VALUE);
        Map<String, Utf8Text> decoders = new HashMap<>();
        JsonArray rendered = new JsonArray();
        for (Chunk chunk : chunks) {
            rendered.add(new JsonObject().put("idx", chunk.idx()).put("stream", chunk.stream())
                    .put("data", decoders.computeIfAbsent(chunk.stream(), s -> new Utf8Text()).decode(chunk.data()))
                    .put("offset", chunk.offset()));
        }
        Long last = chunks.isEmpty() ? null : chunks.get(chunks.size() - 1).idx();
        long next = last == null ? after + 1 : last + 1;
        return new JsonObject()
                .put("job_id", job.id())
                .put("state", job.state().wire())
                .put("done", job.state().isFinal())
                .put("chunks", rendered)
                .put("next_after", last)
                .put("more", next < job.outputChunks());
    }

    private JsonObject commandJson(CommandRecord command) {
        List<JobRecord> all = jobs.forCommand(command.id());
        JsonArray states = new JsonArray();
        JsonArray chunks = new JsonArray();
        Map<JobState, Long> counts = new EnumMap<>(JobState.class);
        long budget = MAX_COMMAND_JSON_BYTES;
        boolean truncated = false;
        for (JobRecord job : all) {
            counts.merge(job.state(), 1L, Long::sum);
            states.add(DispatchJson.jobState(job));
            List<Chunk> read = budget > 0 ? output.read(job.id(), 0, budget, Integer.MAX_VALUE) : List.of();
            Map<String, Utf8Text> decoders = new HashMap<>();
            for (Chunk chunk : read) {
                budget -= chunk.data().length;
                chunks.add(new JsonObject().put("job_id", job.id()).put("agent_id", job.agentId())
                        .put("agent_name", job.agentName()).put("stream", chunk.stream())
                        .put("data", decoders.computeIfAbsent(chunk.stream(), s -> new Utf8Text())
                                .decode(chunk.data())));
            }
            truncated |= read.size() < job.outputChunks();
        }
        return new JsonObject()
                .put("command_id", command.id())
                .put("state", command.state().wire())
                .put("done", command.finishedAt() != null)
                .put("counts", AfterCommit.countsJson(counts))
                .put("jobs", states)
                .put("output", chunks)
                .put("truncated", truncated);
    }
}
