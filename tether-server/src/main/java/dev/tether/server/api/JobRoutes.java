package dev.tether.server.api;

import dev.tether.server.dispatch.Dispatcher;
import dev.tether.server.dispatch.JobRecord;
import dev.tether.server.dispatch.JobStore;
import dev.tether.server.store.AgentStore;
import dev.tether.server.users.Principal;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.util.List;

/**
 * Jobs: show one ({@code GET /api/v1/jobs/{job}}), cancel it ({@code POST
 * .../cancel}: 200 with the job, cancelled at once or with
 * {@code cancel_requested}; 409 when final; 403 for a scoped operator when the
 * job's agent is outside its scope), and an agent's recent jobs
 * ({@code GET /api/v1/agents/{agent}/jobs}, newest first, paged by
 * {@code before=<job id>}). Thread safe.
 */
final class JobRoutes {

    private final Dispatcher dispatcher;
    private final JobStore jobs;
    private final AgentStore agents;
    private final DbCalls db;

    JobRoutes(Dispatcher dispatcher, JobStore jobs, AgentStore agents, DbCalls db) {
        this.dispatcher = dispatcher;
        this.jobs = jobs;
        this.agents = agents;
        this.db = db;
    }

    void mount(Router router) {
        router.get("/api/v1/jobs/:job").handler(this::show);
        router.post("/api/v1/jobs/:job/cancel").handler(this::cancel);
        router.get("/api/v1/agents/:agent/jobs").handler(this::ofAgent);
    }

    private void show(RoutingContext ctx) {
        String id = ctx.pathParam("job");
        db.respond(ctx, () -> find(jobs, id), job -> ApiResponses.json(ctx, 200, DispatchJson.job(job)));
    }

    private void cancel(RoutingContext ctx) {
        String id = ctx.pathParam("job");
        Principal principal = AdminAuth.principal(ctx);
        db.respond(ctx, () -> {
            AgentReach.require(principal, agents, List.of(find(jobs, id).agentId()), "cancelling job " + id);
            return dispatcher.cancelJob(id);
        }, job -> ApiResponses.json(ctx, 200, DispatchJson.job(job)));
    }

    private void ofAgent(RoutingContext ctx) {
        String agent = ctx.pathParam("agent");
        int limit = AgentRequests.limit(ctx);
        String before = ctx.queryParams().get("before");
        db.respond(ctx, () -> {
            String agentId = agents.find(agent).orElseThrow(() -> ApiException.notFound(agent)).id();
            List<JobRecord> page = jobs.pageForAgent(agentId, limit, before);
            String next = page.size() == limit ? page.get(page.size() - 1).id() : null;
            return new JsonObject().put("jobs", DispatchJson.jobs(page)).put("next_before", next);
        }, body -> ApiResponses.json(ctx, 200, body));
    }

    static JobRecord find(JobStore jobs, String id) {
        return jobs.find(id).orElseThrow(() -> notFound(id));
    }

    /** The job, when it belongs to the command; 404 otherwise (naming the command it belongs to, if any). */
    static JobRecord jobOfCommand(JobStore jobs, String commandId, String jobId) {
        JobRecord job = find(jobs, jobId);
        if (!job.commandId().equals(commandId)) {
            throw new ApiException(404, "not_found", "job " + jobId + " is not part of command " + commandId
                    + ": use /api/v1/jobs/" + jobId);
        }
        return job;
    }

    static ApiException notFound(String jobId) {
        return new ApiException(404, "not_found", "no job '" + jobId + "'");
    }
}
