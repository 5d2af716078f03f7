package dev.tether.server.api;

import dev.tether.server.audit.AuditEntry;
import dev.tether.server.audit.AuditLog;
import dev.tether.server.store.DbExecutor;
import io.vertx.core.Handler;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Audits the administrative actions whose routes do not write an entry of
 * their own (agents created, relabelled, revoked, configured and deleted; commands created and
 * cancelled; jobs cancelled): when such a request succeeds, an entry with the
 * actor, the target from the path, the source address and a few particulars
 * (never a secret, never a command's arguments) is appended. Shell sessions,
 * enrollment tokens, approvals and users are audited where they happen.
 *
 * <p>Thread safe; the write runs on the database executor after the response.
 */
final class AuditTrail implements Handler<RoutingContext> {

    private static final Logger LOG = LoggerFactory.getLogger(AuditTrail.class);

    private record Action(HttpMethod method, Pattern path, String name) {
    }

    private static final List<Action> ACTIONS = List.of(
            new Action(HttpMethod.POST, Pattern.compile("^/api/v1/agents$"), "agent.create"),
            new Action(HttpMethod.POST, Pattern.compile("^/api/v1/agents/([^/]+)/revoke$"), "agent.revoke"),
            new Action(HttpMethod.PUT, Pattern.compile("^/api/v1/agents/([^/]+)/config$"), "agent.config"),
            new Action(HttpMethod.PATCH, Pattern.compile("^/api/v1/agents/([^/]+)$"), "agent.labels"),
            new Action(HttpMethod.DELETE, Pattern.compile("^/api/v1/agents/([^/]+)$"), "agent.delete"),
            new Action(HttpMethod.POST, Pattern.compile("^/api/v1/commands$"), "command.create"),
            new Action(HttpMethod.POST, Pattern.compile("^/api/v1/commands/([^/]+)/cancel$"), "command.cancel"),
            new Action(HttpMethod.POST, Pattern.compile("^/api/v1/jobs/([^/]+)/cancel$"), "job.cancel"));

    private final AuditLog audit;
    private final DbExecutor db;

    AuditTrail(AuditLog audit, DbExecutor db) {
        this.audit = audit;
        this.db = db;
    }

    @Override
    public void handle(RoutingContext ctx) {
        for (Action action : ACTIONS) {
            Matcher path = action.path().matcher(ctx.request().path());
            if (ctx.request().method() == action.method() && path.matches()) {
                String target = path.groupCount() > 0 ? path.group(1) : null;
                String actor = Actors.of(ctx);
                String source = Actors.source(ctx);
                ctx.addBodyEndHandler(v -> {
                    if (ctx.response().getStatusCode() < 400) {
                        record(action.name(), actor, target, source, particulars(ctx, action.name()));
                    }
                });
                break;
            }
        }
        ctx.next();
    }

    private void record(String action, String actor, String target, String source, JsonObject details) {
        long now = System.currentTimeMillis();
        try {
            db.execute(() -> {
                try {
                    audit.record(new AuditEntry.New(now, actor, action, target, source, details));
                } catch (RuntimeException e) {
                    LOG.error("cannot write the audit entry for {} by {}", action, actor, e);
                }
            });
        } catch (RuntimeException e) {
            LOG.error("cannot write the audit entry for {} by {}: the database executor refused it", action, actor);
        }
    }

    /** What is worth keeping of the request: names and targets, not arguments or documents. */
    private static JsonObject particulars(RoutingContext ctx, String action) {
        JsonObject details = new JsonObject().put("status", ctx.response().getStatusCode());
        JsonObject body = body(ctx);
        if (body == null) {
            return details;
        }
        switch (action) {
            case "agent.create" -> details.put("name", body.getValue("name")).put("labels", body.getValue("labels"));
            case "agent.labels" -> details.put("labels", body.getValue("labels"));
            case "command.create" -> details.put("type", body.getValue("type", "exec"))
                    .put("agents", body.getValue("agents")).put("selector", body.getValue("selector"));
            default -> {
                // The target says it all.
            }
        }
        return details;
    }

    private static JsonObject body(RoutingContext ctx) {
        try {
            return ctx.body() == null ? null : ctx.body().asJsonObject();
        } catch (RuntimeException notAnObject) {
            return null;
        }
    }
}
