package dev.tether.server.api;

import dev.tether.server.dispatch.CommandRecord;
import dev.tether.server.dispatch.CommandStore;
import dev.tether.server.dispatch.Dispatcher;
import dev.tether.server.dispatch.Selector;
import dev.tether.server.store.AgentStore;
import dev.tether.server.users.Principal;
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
import java.util.Set;

/**
 * Commands: create ({@code POST /api/v1/commands}, 201 with the jobs), list
 * recent ones (newest first, paged by {@code before=<command id>}), show one
 * with its counts and jobs, cancel ({@code POST .../cancel}), and a job through
 * its command ({@code GET .../jobs/{job}}, 404 for a job of another command).
 * A scoped operator cancels only commands whose every job is on an agent in its
 * scope ({@link AgentReach}); {@code config} and {@code self_update} commands are
 * admin only.
 * Thread safe.
 */
final class CommandRoutes {

    /** Command types only an admin may create. */
    private static final Set<String> ADMIN_ONLY_TYPES = Set.of(NewCommand.CONFIG, NewCommand.SELF_UPDATE);

    private final Dispatcher dispatcher;
    private final CommandStore commands;
    private final JobStore jobs;
    private final AgentStore agents;
    private final DbCalls db;

    CommandRoutes(Dispatcher dispatcher, CommandStore commands, JobStore jobs, AgentStore agents, DbCalls db) {
        this.dispatcher = dispatcher;
        this.commands = commands;
        this.jobs = jobs;
        this.agents = agents;
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
        requireAdminFor(request.type(), AdminAuth.principal(ctx));
        Selector scope = AdminAuth.principal(ctx).role() == Role.ADMIN ? null : AdminAuth.principal(ctx).scope();
        db.respond(ctx, () -> dispatcher.create(request, scope), created -> ApiResponses.json(ctx, 201,
                render(created)));
    }

    /** Configuration and self-updates change the agent itself: admin only, like {@code PUT .../config}. */
    private static void requireAdminFor(String type, Principal principal) {
        if (ADMIN_ONLY_TYPES.contains(type) && !principal.may(Role.ADMIN)) {
            throw new ApiException(403, "forbidden", principal.name() + " is a " + principal.role().wire()
                    + "; a " + type + " command needs the admin role");
        }
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
        Principal principal = AdminAuth.principal(ctx);
        db.respond(ctx, () -> {
            commands.find(id).orElseThrow(() -> notFound(id));
            AgentReach.require(principal, agents, jobs.forCommand(id).stream().map(JobRecord::agentId).toList(),
                    "cancelling command " + id);
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
