package dev.tether.server.api;

import dev.tether.server.audit.AuditLog;
import dev.tether.server.auth.AdminTokens;
import dev.tether.server.auth.BrowserAuth;
import dev.tether.server.auth.SignInThrottle;
import dev.tether.server.dispatch.CommandStore;
import dev.tether.server.enroll.Enrollment;
import dev.tether.server.users.PasswordHasher;
import dev.tether.server.users.Users;
import dev.tether.server.enroll.EnrollmentTokenStore;
import dev.tether.server.dispatch.Dispatcher;
import dev.tether.server.dispatch.JobOutputStore;
import dev.tether.server.dispatch.JobStore;
import dev.tether.server.events.EventBroadcaster;
import dev.tether.server.events.EventLog;
import dev.tether.server.gateway.PayloadQuarantine;
import dev.tether.server.http.BodyLimits;
import dev.tether.server.http.RequestIds;
import dev.tether.server.hub.Hub;
import dev.tether.server.metrics.ServerMetrics;
import dev.tether.server.shell.Recordings;
import dev.tether.server.shell.ShellSessionStore;
import dev.tether.server.store.AgentRemoval;
import dev.tether.server.store.AgentStore;
import dev.tether.server.store.ConfigStore;
import dev.tether.server.store.Database;
import dev.tether.server.store.DbExecutor;
import dev.tether.server.store.EventStore;
import dev.tether.server.ui.UiHandler;
import dev.tether.server.ui.WebAssets;
import dev.tether.server.cluster.Cluster;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.ext.web.Router;
import java.nio.file.Path;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;

/**
 * The HTTP API: probes and metrics at the root, the web UI at {@code /}
 * ({@link UiHandler}), and under {@code /api/v1} (admin token, or a browser
 * session cookie: {@link BrowserAuth}) sign-in, agents, their heartbeat
 * metrics, their configuration and their events,
 * commands and jobs with their output, the server's event stream, recorded
 * shell sessions and the audit log (the terminal WebSocket itself is
 * {@link dev.tether.server.shell.ShellEndpoint}), all described by the OpenAPI document at
 * {@code /api/v1/openapi.json} ({@link OpenApiRoutes}).
 * Every error is JSON {@code {"error": code, "message": text}}.
 */
public final class ApiRouter {

    /** Largest request body accepted; larger gets 413. Leaves a config well under a frame. */
    public static final int MAX_BODY_BYTES = BodyLimits.API_BYTES;

    private ApiRouter() {
    }

    public static Router create(Vertx vertx, Database database, DbExecutor executor, Hub hub,
            ServerMetrics metrics, AdminTokens tokens, Dispatcher dispatcher, EventLog eventLog,
            EventBroadcaster broadcaster, ShellSessionStore shellSessions, Recordings recordings, AuditLog audit,
            Enrollment enrollment, Users users, BrowserAuth browser, WebAssets web, Cluster cluster, Path dataDir) {
        Router router = Router.router(vertx);
        router.route().handler(ApiRouter::requestIdInLogs);
        DbCalls db = new DbCalls(executor);
        AgentStore agents = new AgentStore(database);
        CommandStore commands = new CommandStore(database);
        JobStore jobs = new JobStore(database);
        new HealthRoutes(database, metrics, db, cluster).mount(router);
        PasswordSignIn passwords = new PasswordSignIn(users, new SignInThrottle(), new PasswordHasher(), executor);
        SignInRoutes signIn = new SignInRoutes(tokens, users, browser, audit, db, passwords);
        signIn.mountSignIn(router);
        UserRoutes userRoutes = new UserRoutes(users, db, passwords);
        userRoutes.mountLogin(router);
        router.route("/api/v1/*").handler(new AdminAuth(tokens, browser, users, executor));
        router.route("/api/v1/*").handler(ApiRouter::requireJsonBody);
        router.route("/api/v1/*").handler(BodyHandler.create(false).setBodyLimit(MAX_BODY_BYTES));
        router.route("/api/v1/*").handler(new AuditTrail(audit, executor));
        signIn.mount(router);
        new AgentRoutes(agents, new AgentRemoval(database), recordings, hub, db).mount(router);
        new QuarantineRoutes(agents, new PayloadQuarantine(database, metrics), db).mount(router);
        new AgentMetricsRoutes(agents, hub, db).mount(router);
        new ConfigRoutes(agents, new ConfigStore(database), hub, db).mount(router);
        new EventRoutes(agents, new EventStore(database), db).mount(router);
        new CommandRoutes(dispatcher, commands, jobs, agents, db).mount(router);
        new JobRoutes(dispatcher, jobs, agents, db).mount(router);
        new OutputRoutes(vertx, executor, commands, jobs, new JobOutputStore(database), dispatcher.watchers())
                .mount(router);
        new EventStreamRoutes(executor, eventLog, broadcaster, agents, metrics).mount(router);
        new SessionRoutes(agents, shellSessions, recordings, db).mount(router);
        new AuditRoutes(audit, db).mount(router);
        new ClusterRoutes(cluster, db).mount(router);
        new BackupRoutes(database, dataDir, db).mount(router);
        userRoutes.mount(router);
        new OpenApiRoutes().mount(router);
        new EnrollmentRoutes(enrollment, new EnrollmentTokenStore(database), agents, audit, hub, db).mount(router);
        new UiHandler(web).mount(router);
        router.route().failureHandler(ctx -> ApiResponses.failure(ctx, failureOf(ctx)));
        errors(router);
        return router;
    }

    /**
     * The request's id (set by the access log's tracker, see {@link RequestIds}) in the logging MDC while the
     * handlers run on this thread; work they hand off logs without it unless it puts it back.
     */
    private static void requestIdInLogs(RoutingContext ctx) {
        try (RequestIds.MdcScope scope = RequestIds.inMdc(ctx.request().getHeader(RequestIds.HEADER))) {
            ctx.next();
        }
    }

    /** A body that declares a type must declare JSON; a missing Content-Type is taken as JSON. */
    private static void requireJsonBody(RoutingContext ctx) {
        HttpMethod method = ctx.request().method();
        String type = ctx.request().getHeader(HttpHeaders.CONTENT_TYPE);
        boolean hasBody = !"0".equals(ctx.request().getHeader(HttpHeaders.CONTENT_LENGTH));
        if ((method == HttpMethod.POST || method == HttpMethod.PUT || method == HttpMethod.PATCH) && hasBody && type != null && !isJson(type)) {
            ApiResponses.error(ctx, 415, "unsupported_media_type",
                    "send the body as JSON with 'Content-Type: application/json'");
            return;
        }
        ctx.next();
    }

    private static boolean isJson(String contentType) {
        String type = contentType.split(";", 2)[0].trim().toLowerCase();
        return type.equals("application/json") || type.endsWith("+json");
    }

    /** What a failed context failed with: a thrown {@link ApiException}, else its status as one, else the cause. */
    private static Throwable failureOf(RoutingContext ctx) {
        Throwable failure = ctx.failure();
        int status = ctx.statusCode();
        if (failure instanceof ApiException) {
            return failure;
        }
        if (failure == null || (status >= 400 && status < 500)) {
            return statusError(status < 400 ? 500 : status);
        }
        return failure;
    }

    private static void errors(Router router) {
        for (int status : new int[] {400, 401, 403, 404, 405, 413, 415, 500, 503}) {
            router.errorHandler(status, ctx -> ApiResponses.failure(ctx, failureOf(ctx)));
        }
    }

    private static ApiException statusError(int status) {
        return switch (status) {
            case 404 -> new ApiException(404, "not_found", "no such endpoint: the API lives under /api/v1");
            case 405 -> new ApiException(405, "method_not_allowed", "this endpoint does not take that method");
            case 413 -> new ApiException(413, "payload_too_large", "the body exceeds " + MAX_BODY_BYTES
                    + " bytes: send a smaller document");
            case 415 -> new ApiException(415, "unsupported_media_type",
                    "send the body as JSON with 'Content-Type: application/json'");
            case 401 -> new ApiException(401, "unauthorized", "send 'Authorization: Bearer <admin token>'");
            case 400 -> new ApiException(400, "bad_request", "the request is malformed");
            default -> new ApiException(status, status >= 500 ? "internal" : "error",
                    "the request failed with HTTP " + status);
        };
    }
}
