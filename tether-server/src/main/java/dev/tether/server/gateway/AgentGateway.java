package dev.tether.server.gateway;

import dev.tether.server.auth.Secrets;
import dev.tether.server.dispatch.Dispatcher;
import dev.tether.server.events.PresenceEvents;
import dev.tether.server.hub.Hub;
import dev.tether.server.metrics.ServerMetrics;
import dev.tether.server.shell.ShellBroker;
import dev.tether.server.store.AgentRecord;
import dev.tether.server.store.AgentSessionStore;
import dev.tether.server.store.AgentStore;
import dev.tether.server.store.AgentStore.KeyOwner;
import dev.tether.server.store.Database;
import dev.tether.server.store.DbExecutor;
import io.vertx.core.Context;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The agent endpoint, {@code GET /v1/agents/connect}: authenticates the
 * {@code Authorization: Bearer <agent key>} header before upgrading (the
 * request is paused while SHA-256(key) is looked up off the event loop) and
 * answers 401 with a JSON body when the key is missing, unknown or revoked.
 * Before the lookup, {@link AuthThrottle} answers 429 to a source address or
 * key that failed too often, and {@link HandshakeAdmission} answers 503 when
 * more agents connect per second than the server admits; both say in
 * {@code Retry-After} when to come back.
 * An accepted upgrade is taken from Vert.x ({@link WebSocketTakeover}) and becomes an
 * {@link AgentConnection} on a bare Netty pipeline.
 *
 * <p>Thread safe; handles requests on their event loops.
 */
public final class AgentGateway implements Handler<HttpServerRequest> {

    public static final String PATH = "/v1/agents/connect";
    /** How often an agent waiting for approval is asked to try again. */
    static final Duration PENDING_RETRY = Duration.ofSeconds(5);
    private static final Logger LOG = LoggerFactory.getLogger(AgentGateway.class);

    /** Longest Retry-After, seconds, when keys cannot be checked in time; each refused agent picks one up to it. */
    static final int OVERLOADED_RETRY_SPREAD_SECONDS = 5;

    private final AgentStore agents;
    /** Threads of their own for key checks: they never queue behind the lanes of a reconnecting herd. */
    private final DbExecutor keyChecks;
    private final AtomicLong overloadLoggedNanos = new AtomicLong(System.nanoTime() - 1_000_000_000L);
    private final AtomicLong overloadRefusals = new AtomicLong();
    private final ConnectionServices services;
    private final AuthThrottle throttle = new AuthThrottle();
    private final HandshakeAdmission admission;
    /** Whether this node is draining: new agents are sent to the other nodes. */
    private final BooleanSupplier draining;

    /**
     * @param dbExecutor the agents' lanes (handshake, applying, sending)
     * @param keyChecks where upgrades look their key up
     */
    public AgentGateway(Database db, DbExecutor dbExecutor, DbExecutor keyChecks, Hub hub, ServerMetrics metrics,
            Dispatcher dispatcher, PresenceEvents presence, ShellBroker shells, Duration heartbeatInterval,
            int maxHandshakesPerSecond, BooleanSupplier draining) {
        this.agents = new AgentStore(db);
        this.draining = draining;
        this.keyChecks = keyChecks;
        this.services = new ConnectionServices(hub, metrics, db, new AgentSessionStore(db, hub.nodeName()),
                new InboundApplier(db, dispatcher, new PayloadQuarantine(db, metrics), metrics),
                new AgentLanes(dbExecutor), dispatcher, presence, shells, heartbeatInterval);
        this.admission = new HandshakeAdmission(maxHandshakesPerSecond, System.nanoTime());
        metrics.gaugeHandshakesInFlight(admission::inFlight);
    }

    @Override
    public void handle(HttpServerRequest request) {
        if (request.method() != HttpMethod.GET) {
            RawReplies.error(request, 405, "method_not_allowed", "agents connect with GET and a WebSocket upgrade");
            return;
        }
        String key = Secrets.bearer(request.getHeader(HttpHeaders.AUTHORIZATION));
        if (key == null) {
            unauthorized(request, "missing_key", "missing agent key: send 'Authorization: Bearer <agent key>'");
            return;
        }
        if (!"websocket".equalsIgnoreCase(request.getHeader(HttpHeaders.UPGRADE))) {
            RawReplies.error(request, 400, "bad_request", "this endpoint takes a WebSocket upgrade");
            return;
        }
        if (draining.getAsBoolean()) {
            services.metrics().handshakeFailed("draining");
            request.response().putHeader(HttpHeaders.RETRY_AFTER, "1");
            RawReplies.error(request, 503, "draining", "this server node is stopping: connect to another node");
            return;
        }
        String keyHash = Secrets.hash(key);
        String source = request.remoteAddress() == null ? "?" : request.remoteAddress().hostAddress();
        long now = System.nanoTime();
        long wait = throttle.retryAfterSeconds(source, keyHash, now);
        if (wait > 0) {
            services.metrics().handshakeFailed("throttled");
            request.response().putHeader(HttpHeaders.RETRY_AFTER, Long.toString(wait));
            RawReplies.error(request, 429, "too_many_requests", "too many failed authentications from " + source
                    + " or with this key: retry in " + wait + " s with a valid key");
            return;
        }
        wait = admission.admit(now, ThreadLocalRandom.current().nextDouble());
        if (wait > 0) {
            services.metrics().handshakeFailed("overloaded");
            request.response().putHeader(HttpHeaders.RETRY_AFTER, Long.toString(wait));
            RawReplies.error(request, 503, "overloaded", "the server is admitting agents at its limit: retry in " + wait + " s");
            return;
        }
        Runnable admitted = admission.ticket();
        request.pause();
        Context context = Vertx.currentContext();
        keyChecks.call(context, () -> agents.findByKeyHash(keyHash))
                .onSuccess(owner -> {
                    if (!authenticated(request, keyHash, source, owner, admitted)) {
                        admitted.run();
                    }
                })
                .onFailure(failure -> {
                    admitted.run();
                    if (failure instanceof RejectedExecutionException) {
                        logOverload();
                    } else {
                        LOG.warn("agent authentication failed", failure);
                    }
                    services.metrics().handshakeFailed("unavailable");
                    long retry = 1 + ThreadLocalRandom.current().nextInt(OVERLOADED_RETRY_SPREAD_SECONDS);
                    request.response().putHeader(HttpHeaders.RETRY_AFTER, Long.toString(retry));
                    RawReplies.error(request, 503, "unavailable", "the server cannot check keys right now: retry in "
                            + retry + " s");
                });
    }

    /** Expected under a herd: one line a second with the count, not a stack trace per refusal. */
    private void logOverload() {
        long refused = overloadRefusals.incrementAndGet();
        long last = overloadLoggedNanos.get();
        long now = System.nanoTime();
        if (now - last >= 1_000_000_000L && overloadLoggedNanos.compareAndSet(last, now)) {
            overloadRefusals.addAndGet(-refused);
            LOG.warn("key checks are behind: {} agent upgrade(s) answered 503 with Retry-After in the last second",
                    refused);
        }
    }

    /**
     * Upgrades the request of an agent whose key checked out, or answers why not.
     *
     * @param admitted ends the admission; the upgrade's failure runs it, and the connection once it is up
     * @return whether the upgrade was started (false: refused, and the admission is the caller's to end)
     */
    private boolean authenticated(HttpServerRequest request, String keyHash, String source,
            Optional<KeyOwner> owner, Runnable admitted) {
        if (owner.isEmpty() || !Secrets.hashesEqual(owner.get().keyHash(), keyHash)) {
            throttle.failed(source, keyHash, System.nanoTime());
            unauthorized(request, "unknown_key", "unknown agent key: check the key file, or enrol the agent");
            return false;
        }
        if (AgentRecord.REJECTED.equals(owner.get().approval())) {
            throttle.failed(source, keyHash, System.nanoTime());
            unauthorized(request, "rejected", "an operator rejected this agent's enrollment: it cannot connect");
            return false;
        }
        if (owner.get().revoked()) {
            throttle.failed(source, keyHash, System.nanoTime());
            unauthorized(request, "revoked", "this agent key was revoked: enrol the agent again for a new key");
            return false;
        }
        throttle.succeeded(keyHash, System.nanoTime());
        if (owner.get().approval() != null) {
            services.metrics().handshakeFailed("pending_approval");
            request.response().putHeader(HttpHeaders.RETRY_AFTER, Long.toString(PENDING_RETRY.toSeconds()));
            RawReplies.error(request, 403, "pending_approval", "agent " + owner.get().name() + " is waiting for an operator to "
                    + "approve it (tether agents approve " + owner.get().name() + ")");
            return false;
        }
        String agentId = owner.get().id();
        if (request.response().closed()) {
            // The agent gave up while its key was checked (a herd's queue can be long): nothing to upgrade.
            services.metrics().handshakeFailed("gone");
            return false;
        }
        String acceptKey = WebSocketTakeover.acceptKey(request);
        if (acceptKey == null) {
            services.metrics().handshakeFailed("upgrade_failed");
            request.response().putHeader("Sec-WebSocket-Version", WebSocketTakeover.VERSION);
            RawReplies.error(request, 400, "bad_request", "not a WebSocket upgrade this server speaks: send "
                    + "'Connection: Upgrade', a Sec-WebSocket-Key and 'Sec-WebSocket-Version: 13'");
            return false;
        }
        AgentConnection connection = new AgentConnection(agentId, services, admitted);
        WebSocketTakeover.takeOver(request, acceptKey, connection.socket()).addListener(reading -> {
            if (reading.isSuccess()) {
                connection.opened();
            } else {
                LOG.warn("agent {}: could not move its connection to another event loop", agentId, reading.cause());
                connection.connectionLost();
            }
        });
        return true;
    }

    private void unauthorized(HttpServerRequest request, String reason, String message) {
        services.metrics().handshakeFailed(reason);
        request.response().putHeader("WWW-Authenticate", "Bearer");
        RawReplies.error(request, 401, "unauthorized", message);
    }

}
