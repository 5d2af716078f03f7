package dev.tether.server.api;

import dev.tether.server.dispatch.CommandRecord;
import dev.tether.server.dispatch.CommandStore;
import dev.tether.server.dispatch.Dispatcher;
import dev.tether.server.dispatch.Selector;
import dev.tether.server.users.Role;
import dev.tether.server.dispatch.Dispatcher.Created;
import dev.tether.server.dispatch.JobRecord;
import dev.tether.server.dispatch.JobState;
import dev.tether.server.dispatch.JobStore;
import dev.tether.server.dispatch.NewCommand;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.util.List;
import java.util.Map;

/**
 * Commands: create ({@code POST /api/v1/commands}, 201 with the jobs), list
 * recent ones (newest first, paged by {@code before=<command id>}), show one
 * with its counts and jobs, cancel ({@code POST .../cancel}), and a job through
 * its command ({@code GET .../jobs/{job}}, 404 for a job of another command).
 * Thread safe.
 */
final class CommandRoutes {

    private final Dispatcher dispatcher;
    private final CommandStore commands;
    private final JobStore jobs;
    private final DbCalls db;

    CommandRoutes(Dispatcher dispatcher, CommandStore commands, JobStore jobs, DbCalls db) {
        this.dispatcher = dispatcher;
        this.commands = commands;
        this.jobs = jobs;
        this.db = db;
    }

    void mount(Router router) {
        router.post("/api/v1/commands").handler(this::create);
        router.get("/api/v1/commands").handler(this::list);
        router.get("/api/v1/commands/:command").handler(this::show);
        router.post("/api/v1/commands/:command/cancel").handler(this::cancel);
        router.get("/api/v1/commands/:command/jobs/:job").handler(this::showJob);
    }

    private void create(RoutingContext ctx) {
        NewCommand request = CommandRequests.parse(ctx);
        Selector scope = AdminAuth.principal(ctx).role() == Role.ADMIN ? null : AdminAuth.principal(ctx).scope();
        db.respond(ctx, () -> dispatcher.create(request, scope), created -> ApiResponses.json(ctx, 201,
                render(created)));
    }

    private static JsonObject render(Created created) {
        JsonArray jobs = new JsonArray();
        for (JobRecord job : created.jobs()) {
            jobs.add(new JsonObject().put("id", job.id()).put("agent_id", job.agentId())
                    .put("agent_name", job.agentName()).put("state", job.state().wire()));
        }
        CommandRecord command = created.command();
        return new JsonObject()
                .put("id", command.id())
                .put("type", command.type())
                .put("state", command.state().wire())
                .put("created_at", ApiResponses.time(command.createdAt()))
                .put("jobs", jobs);
    }

    private void list(RoutingContext ctx) {
        int limit = AgentRequests.limit(ctx);
        String before = ctx.queryParams().get("before");
        db.respond(ctx, () -> {
            List<CommandRecord> page = commands.page(limit, before);
            Map<String, Map<JobState, Long>> counts = commands.counts(page.stream().map(CommandRecord::id).toList());
            JsonArray rendered = new JsonArray();
            page.forEach(command -> rendered.add(DispatchJson.command(command,
                    counts.getOrDefault(command.id(), Map.of()), null)));
            String next = page.size() == limit ? page.get(page.size() - 1).id() : null;
            return new JsonObject().put("commands", rendered).put("next_before", next);
        }, body -> ApiResponses.json(ctx, 200, body));
    }

    private void show(RoutingContext ctx) {
        String id = ctx.pathParam("command");
        db.respond(ctx, () -> render(id), body -> ApiResponses.json(ctx, 200, body));
    }

    private void cancel(RoutingContext ctx) {
        String id = ctx.pathParam("command");
        db.respond(ctx, () -> {
            dispatcher.cancelCommand(id);
            return render(id);
        }, body -> ApiResponses.json(ctx, 200, body));
    }

    private void showJob(RoutingContext ctx) {
        String command = ctx.pathParam("command");
        String job = ctx.pathParam("job");
        db.respond(ctx, () -> JobRoutes.jobOfCommand(jobs, command, job),
                found -> ApiResponses.json(ctx, 200, DispatchJson.job(found)));
    }

    /** The command with its counts and every job; 404 when there is none. */
    private JsonObject render(String id) {
        CommandRecord command = commands.find(id).orElseThrow(() -> notFound(id));
        List<JobRecord> all = jobs.forCommand(id);
        Map<JobState, Long> counts = commands.counts(List.of(id)).getOrDefault(id, Map.of());
        return DispatchJson.command(command, counts, all);
    }

    static ApiException notFound(String commandId) {
        return new ApiException(404, "not_found", "no command '" + commandId
                + "': list recent commands with GET /api/v1/commands");
    }
}
