package dev.tether.server.api;

import dev.tether.server.audit.AuditEntry;
import dev.tether.server.audit.AuditLog;
import dev.tether.server.users.Principal;
import dev.tether.server.users.Role;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.time.Instant;
import java.time.format.DateTimeParseException;

/**
 * The audit log, newest first:
 * {@code GET /api/v1/audit?actor=A&action=X&target=ID&since=T&until=T&limit=N&before=ID}, times in ISO-8601
 * ({@code 2026-12-01T08:00:00Z}), paged by {@code next_before}. Shell session ids in {@code details} are shown
 * only to admins and the session's owner. Thread safe.
 */
final class AuditRoutes {

    private final AuditLog audit;
    private final DbCalls db;

    AuditRoutes(AuditLog audit, DbCalls db) {
        this.audit = audit;
        this.db = db;
    }

    void mount(Router router) {
        router.get("/api/v1/audit").handler(this::list);
    }

    private void list(RoutingContext ctx) {
        AuditEntry.Filter filter = new AuditEntry.Filter(ctx.queryParams().get("actor"),
                ctx.queryParams().get("action"), ctx.queryParams().get("target"), time(ctx, "since"),
                time(ctx, "until"));
        int limit = AgentRequests.limit(ctx);
        Long before = AgentRequests.before(ctx);
        Principal caller = AdminAuth.principal(ctx);
        db.respond(ctx, () -> audit.list(filter, limit, before), page -> {
            JsonArray entries = new JsonArray();
            for (AuditEntry entry : page.entries()) {
                entries.add(new JsonObject()
                        .put("id", entry.id())
                        .put("at", ApiResponses.time(entry.at()))
                        .put("actor", entry.actor())
                        .put("action", entry.action())
                        .put("target", entry.target())
                        .put("source", entry.source())
                        .put("details", details(entry, caller)));
            }
            ApiResponses.json(ctx, 200, new JsonObject().put("entries", entries).put("next_before", page.nextBefore()));
        });
    }

    /**
     * The entry's details, without the shell session id unless the caller is an admin or the session's owner:
     * a running session's id is what re-attaching takes (see {@link SessionRoutes}).
     */
    private static JsonObject details(AuditEntry entry, Principal caller) {
        JsonObject details = entry.details();
        if (details == null || !entry.action().startsWith("shell.") || caller.may(Role.ADMIN)
                || caller.name().equals(details.getString("owner", entry.actor()))) {
            return details;
        }
        JsonObject redacted = details.copy();
        redacted.remove("session");
        return redacted;
    }

    private static Long time(RoutingContext ctx, String name) {
        String text = ctx.queryParams().get(name);
        if (text == null) {
            return null;
        }
        try {
            return Instant.parse(text).toEpochMilli();
        } catch (DateTimeParseException e) {
            throw ApiException.badRequest("invalid_" + name, name + " must be an ISO-8601 time such as "
                    + "2026-12-01T08:00:00Z");
        }
    }
}
