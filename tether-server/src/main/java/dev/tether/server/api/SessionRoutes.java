package dev.tether.server.api;

import dev.tether.server.shell.Recordings;
import dev.tether.server.shell.ShellSessionRecord;
import dev.tether.server.shell.ShellSessionStore;
import dev.tether.server.store.AgentStore;
import dev.tether.server.users.Principal;
import dev.tether.server.users.Role;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;

/**
 * Recorded shell sessions: {@code GET /api/v1/sessions?agent=A&limit=N&before=CURSOR} (newest first, paged by
 * {@code next_before}), {@code GET /api/v1/sessions/{id}}, and {@code GET /api/v1/sessions/{id}/recording},
 * the asciicast v2 file ({@code application/x-asciicast}). The id of a running session (what re-attaching
 * takes) is shown only to the user who opened it and to admins: others see {@code "id": null} in the list and
 * get 404 for it. Thread safe.
 */
final class SessionRoutes {

    private final AgentStore agents;
    private final ShellSessionStore sessions;
    private final Recordings recordings;
    private final DbCalls db;

    SessionRoutes(AgentStore agents, ShellSessionStore sessions, Recordings recordings, DbCalls db) {
        this.agents = agents;
        this.sessions = sessions;
        this.recordings = recordings;
        this.db = db;
    }

    void mount(Router router) {
        router.get("/api/v1/sessions").handler(this::list);
        router.get("/api/v1/sessions/:id").handler(this::show);
        router.get("/api/v1/sessions/:id/recording").handler(this::recording);
    }

    private void list(RoutingContext ctx) {
        String agent = ctx.queryParams().get("agent");
        int limit = AgentRequests.limit(ctx);
        String beforeText = ctx.queryParams().get("before");
        ShellSessionRecord.Cursor before = beforeText == null ? null : ShellSessionRecord.Cursor.parse(beforeText);
        if (beforeText != null && before == null) {
            throw ApiException.badRequest("invalid_before", "before must be a next_before value of an earlier page");
        }
        db.respond(ctx, () -> {
            String agentId = agent == null ? null
                    : agents.find(agent).orElseThrow(() -> ApiException.notFound(agent)).id();
            return sessions.list(agentId, limit, before);
        }, page -> {
            JsonArray list = new JsonArray();
            Principal caller = AdminAuth.principal(ctx);
            page.sessions().forEach(session -> list.add(render(session, ownedOrAdmin(caller, session))));
            ApiResponses.json(ctx, 200, new JsonObject().put("sessions", list)
                    .put("next_before", page.next() == null ? null : page.next().toString()));
        });
    }

    private void show(RoutingContext ctx) {
        String id = ctx.pathParam("id");
        Principal caller = AdminAuth.principal(ctx);
        db.respond(ctx, () -> find(id, caller), session -> ApiResponses.json(ctx, 200, render(session, true)));
    }

    private void recording(RoutingContext ctx) {
        String id = ctx.pathParam("id");
        db.respond(ctx, () -> {
            Path file = recordings.file(find(id, AdminAuth.principal(ctx)));
            if (file == null || !Files.isReadable(file)) {
                throw new ApiException(404, "not_found", "session " + id + " has no recording (deleted by "
                        + "--recording-retention, or never written)");
            }
            return file;
        }, file -> ctx.response()
                .putHeader("Content-Type", "application/x-asciicast")
                .putHeader("Content-Disposition", "attachment; filename=\"" + id + ".cast\"")
                .sendFile(file.toString()));
    }

    /** The session; 404 also for a running session of another user unless the caller is an admin. */
    private ShellSessionRecord find(String id, Principal caller) {
        ShellSessionRecord session = sessions.get(id);
        if (session == null || !ownedOrAdmin(caller, session)) {
            throw new ApiException(404, "not_found", "no shell session " + id + ": list them with GET /api/v1/sessions");
        }
        return session;
    }

    /**
     * Whether the caller may see the session's id: a running session's id is what re-attaching takes, so only
     * its owner and admins see it; an ended session's id opens nothing.
     */
    static boolean ownedOrAdmin(Principal caller, ShellSessionRecord session) {
        return session.endedAt() != null || caller.may(Role.ADMIN) || caller.name().equals(session.actor());
    }

    /** @param showId false: {@code id} is null (a running session of another user) */
    private static JsonObject render(ShellSessionRecord session, boolean showId) {
        return new JsonObject()
                .put("id", showId ? session.id() : null)
                .put("agent_id", session.agentId())
                .put("actor", session.actor())
                .put("source", session.source())
                .put("command", new JsonArray(new ArrayList<Object>(session.command())))
                .put("term", session.term())
                .put("rows", session.rows())
                .put("cols", session.cols())
                .put("started_at", ApiResponses.time(session.startedAt()))
                .put("ended_at", ApiResponses.time(session.endedAt()))
                .put("state", session.endedAt() == null ? "running" : "ended")
                .put("bytes_in", session.bytesIn())
                .put("bytes_out", session.bytesOut())
                .put("exit_code", session.exitCode())
                .put("signal", session.signal())
                .put("end_reason", session.endReason())
                .put("recording", session.recording() != null)
                .put("recording_truncated", session.recordingTruncated());
    }
}
