package dev.tether.agent.connection;

import dev.tether.agent.AgentConfig;
import dev.tether.agent.tls.TrustedCa;
import dev.tether.agent.Backoff;
import dev.tether.agent.metrics.HostMetrics;
import dev.tether.protocol.CloseCodes;
import dev.tether.protocol.ReliableChannel;
import dev.tether.protocol.v1.Envelope;
import dev.tether.protocol.v1.Welcome;
import dev.tether.agent.connection.websocket.WebSocket;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import java.util.function.Supplier;
import java.util.random.RandomGenerator;
import javax.net.ssl.SSLContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps the agent connected: dials, runs a {@link Session}, and when it ends
 * waits and dials again, until {@link #close()}.
 *
 * <h2>Which server</h2>
 * With several server URLs (the nodes of a cluster), each attempt goes to the next
 * in the agent's {@link ServerRotation}: shuffled once at start, then round robin.
 * A failed dial, a lost connection, a close (1001 "going away" from a stopping or
 * draining node included) or a GoAway all move the agent on to the next server;
 * the waits below are the same as with one server.
 *
 * <h2>How long it waits</h2>
 * <ul>
 * <li>After a failure (network, protocol, server close): {@link Backoff} with full
 * jitter, the ceiling doubling per consecutive failure from 1 s to 60 s.
 * <li>The failure count resets after a healthy session: one that completed the
 * handshake and whose heartbeats the server still answered one full heartbeat
 * interval later ({@link Session#healthy()}).
 * <li>HTTP 401 on the upgrade or close 4003 (no common protocol version): the
 * backoff cap, every time; these do not fix themselves quickly. The 401 is logged
 * once at error level until a handshake succeeds. Close 4002 (revoked) is logged
 * and retried like a failure: the server answers that retry with the 401.
 * <li>GoAway: its {@code reconnect_after_ms}, not counted as a failure.
 * </ul>
 *
 * <h2>Errors</h2>
 * An {@code Error} (out of memory, a stack overflow, a failed assertion) in a
 * session or in the loop is handled like an exception: logged, the connection
 * closed with 1011, and the agent reconnects after the backoff. Whatever
 * transaction it interrupted was rolled back, so the next session resumes from
 * what is on disk. The process is not ended: an agent is often run without a
 * supervisor that would restart it, and one that stops reconnecting is lost to
 * its operators until someone logs in to the host. Where a dying JVM is
 * preferred, {@code -XX:+ExitOnOutOfMemoryError} makes out-of-memory fatal.
 *
 * <p>Thread safe. One thread, {@code tether-connection}, runs the loop and is
 * each session's reader.
 */
public final class ConnectionManager implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(ConnectionManager.class);

    private final AgentIdentity identity;
    private final ReliableChannel channel;
    private final LongSupplier configVersion;
    private final Supplier<List<String>> capabilities;
    private final Receiver receiver;
    private final ShellTraffic shells;
    private final HostMetrics metrics;
    private final LinkStatus link;
    private final Clock clock;
    private final Retries retries;
    private final Dialer dialer;
    /** Owned by the loop thread. */
    private final ServerRotation servers;
    private final Thread thread;
    private final CountDownLatch stopping = new CountDownLatch(1);
    /** Notified when acks arrive; guards nothing, see {@link #awaitDrained}. */
    private final Object drainMonitor = new Object();

    /** The session running now, null between sessions. Written by the loop thread. */
    private volatile Session current;
    /**
     * The connect URL of the server dialed in the current attempt (before the first: the first to dial).
     * Owned by the loop thread.
     */
    private URI target;
    /** Owned by the loop thread. */
    private boolean unauthorizedLogged;
    /** Owned by the connection loop: the pending-approval warning is logged once. */
    private boolean pendingLogged;

    /**
     * @param configVersion the applied configuration version, read for each Hello
     * @param capabilities what the agent can do, read for each Hello
     * @param shells the shell sessions, which outlive connections; their ids are in each Hello
     * @param link told when a session begins and when a session or an attempt ends
     */
    public ConnectionManager(AgentConfig config, AgentIdentity identity, ReliableChannel channel,
            LongSupplier configVersion, Supplier<List<String>> capabilities, Receiver receiver, ShellTraffic shells,
            HostMetrics metrics, LinkStatus link, Clock clock, RandomGenerator random) {
        this(config, tls(config), identity, channel, configVersion, capabilities, receiver, shells, metrics,
                link, clock, random);
    }

    /**
     * As above, with the TLS context from {@link #tls} built ahead (it reads and parses the trusted
     * certificates, a good part of the agent's start); null when no server is {@code wss://}.
     */
    public ConnectionManager(AgentConfig config, SSLContext tls, AgentIdentity identity, ReliableChannel channel,
            LongSupplier configVersion, Supplier<List<String>> capabilities, Receiver receiver, ShellTraffic shells,
            HostMetrics metrics, LinkStatus link, Clock clock, RandomGenerator random) {
        this.identity = identity;
        this.channel = channel;
        this.configVersion = configVersion;
        this.capabilities = capabilities;
        this.receiver = receiver;
        this.shells = shells;
        this.metrics = metrics;
        this.link = link;
        this.clock = clock;
        this.servers = ServerRotation.shuffled(config.connectUris(), random);
        this.target = servers.peek();
        this.retries = new Retries(config.backoff(), random);
        this.dialer = new Dialer(() -> {
            if (tls == null) {
                throw new IllegalStateException("no TLS context was built for this agent's servers");
            }
            return tls;
        }, config.key(), identity.version());
        this.thread = new Thread(this::loop, "tether-connection");
        this.thread.setDaemon(true);
    }

    /**
     * The TLS context the manager dials {@code wss://} servers with: trusting {@code config}'s CA file, or the
     * system's roots; null when every server is {@code ws://}, so such an agent never loads the JDK's TLS.
     *
     * @throws IllegalArgumentException when the CA file cannot be used, saying why
     */
    public static SSLContext tls(AgentConfig config) {
        boolean secure = config.connectUris().stream().anyMatch(uri -> "wss".equals(uri.getScheme()));
        return secure ? TrustedCa.forServer(config.caFile()) : null;
    }

    public void start() {
        thread.start();
    }

    /** Whether a session is established (handshake done, not yet ended). */
    public boolean connected() {
        Session session = current;
        return session != null && session.established();
    }

    /** New reliable payloads are in the outbox: send them now if connected. */
    public void wake() {
        Session session = current;
        if (session != null) {
            session.wake();
        }
    }

    /**
     * Waits until the server acknowledged everything in the outbox, or the timeout.
     *
     * @return whether the outbox is empty
     */
    public boolean awaitDrained(Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        synchronized (drainMonitor) {
            while (channel.depth() > 0) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return false;
                }
                try {
                    TimeUnit.NANOSECONDS.timedWait(drainMonitor, left);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return false;
                }
            }
            return true;
        }
    }

    /** Closes the session with 1000 "agent stopping" and stops reconnecting; waits for the loop to end. */
    @Override
    public void close() {
        stopping.countDown();
        dialer.cancel();
        Session session = current;
        if (session != null) {
            session.stop();
        }
        try {
            thread.join(Session.CLOSE_GRACE.multipliedBy(3).toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private boolean stopped() {
        return stopping.getCount() == 0;
    }

    // ------------------------------------------------------------------ the loop

    private void loop() {
        if (servers.size() == 1) {
            log.info("connecting to {}", servers.peek());
        } else {
            log.info("connecting to one of {} servers, tried in this order: {}", servers.size(), servers.order());
        }
        while (!stopped()) {
            SessionEnd end;
            boolean healthy = false;
            try {
                Attempt attempt = attempt();
                end = attempt.end();
                healthy = attempt.healthy();
            } catch (RuntimeException | Error e) {
                // Reconnecting goes on after an Error too (see "Errors" above); only close() ends this loop.
                log.error("unexpected failure in the connection loop", e);
                end = new SessionEnd.Failed("unexpected error: " + e);
            }
            link.ended(target, stopped() ? null : summary(end, target), clock.millis());
            if (stopped() || end instanceof SessionEnd.Stopped) {
                break;
            }
            if (healthy) {
                retries.reset();
            }
            pause(delayAfter(end));
        }
        log.debug("connection loop stopped");
    }

    private record Attempt(SessionEnd end, boolean healthy) {
    }

    private Attempt attempt() {
        // Built before dialing, so a store failure here cannot leak an open socket. Payloads published
        // meanwhile get seqs at or after resumeSeq, so the Hello stays true.
        AgentIdentity.AppliedPoint applied;
        synchronized (channel) {
            applied = new AgentIdentity.AppliedPoint(channel.applied(), channel.appliedStamp());
        }
        Envelope hello = identity.hello(configVersion.getAsLong(), applied, channel.resumeSeq(),
                capabilities.get(), shells.sessionIds());
        WebSocket socket;
        target = servers.next();
        log.debug("dialing {}", target);
        try {
            socket = dialer.dial(target);
        } catch (Dialer.DialFailure e) {
            return new Attempt(e.end(), false);
        }
        Session session = new Session(socket, channel, receiver, shells, metrics, clock, hello, new Listener());
        current = session;
        if (stopped()) {
            session.stop();
        }
        try {
            return new Attempt(session.run(), session.healthy());
        } finally {
            current = null;
        }
    }

    private void pause(Duration delay) {
        try {
            stopping.await(delay.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            stopping.countDown();
        }
    }

    /** Logs how the session ended and says how long to wait before the next dial. */
    private Duration delayAfter(SessionEnd end) {
        return switch (end) {
            case SessionEnd.Rejected rejected when rejected.unauthorized() -> unauthorized();
            case SessionEnd.Rejected rejected when rejected.pendingApproval() -> pendingApproval(rejected.retryAfter());
            case SessionEnd.Rejected rejected when rejected.retryAfter() != null -> retryAsTold(rejected);
            case SessionEnd.Rejected rejected -> retry("the server refused the upgrade with HTTP "
                    + rejected.status() + hint(rejected.status()));
            case SessionEnd.Failed failed -> retry("connection to " + target + " failed: " + failed.reason());
            case SessionEnd.Closed closed -> closedByServer(closed);
            case SessionEnd.GoAway goAway -> {
                log.info("the server asked this agent to reconnect{}; reconnecting{} in {}",
                        goAway.reason().isEmpty() ? "" : " (" + goAway.reason() + ")", nextServer(),
                        readable(goAway.after()));
                yield goAway.after();
            }
            case SessionEnd.Stopped stopped -> Duration.ZERO;
        };
    }

    private Duration pendingApproval(Duration retryAfter) {
        if (!pendingLogged) {
            pendingLogged = true;
            log.warn("this agent is waiting for an operator to approve it (tether agents approve NAME); asking again "
                    + "every {}", readable(retryAfter));
        }
        return retryAfter;
    }

    /**
     * The server said when to come back. 503: it is pacing a reconnect storm and spread its answers over the
     * time the herd takes, so come back then (plus a little jitter), without growing the backoff. 429, after
     * failed authentications: that long, or the backoff when it is longer.
     */
    private Duration retryAsTold(SessionEnd.Rejected rejected) {
        Duration delay;
        if (rejected.status() == 503) {
            delay = retries.paced(rejected.retryAfter());
        } else {
            Duration backoff = retries.afterFailure();
            delay = rejected.retryAfter().compareTo(backoff) > 0 ? rejected.retryAfter() : backoff;
        }
        log.warn("the server refused the upgrade with HTTP {}{}; retrying in {} as it asked", rejected.status(),
                hint(rejected.status()), readable(delay));
        return delay;
    }

    private Duration unauthorized() {
        if (!unauthorizedLogged) {
            unauthorizedLogged = true;
            log.error("the server rejected this agent's key (HTTP 401): check --key-file / TETHER_AGENT_KEY or "
                    + "whether the key was revoked; retrying every {}", readable(retries.cap()));
        } else {
            log.debug("the server rejected this agent's key again (HTTP 401)");
        }
        return retries.cap();
    }

    private Duration closedByServer(SessionEnd.Closed closed) {
        String reason = closed.reason() == null || closed.reason().isEmpty() ? "" : " '" + closed.reason() + "'";
        return switch (closed.code()) {
            case CloseCodes.REVOKED -> {
                // The next dial will most likely get a 401, which then slows the retries down to the cap.
                Duration delay = retries.afterFailure();
                log.error("the server revoked this agent's key (close 4002{}); reconnecting in {}", reason,
                        readable(delay));
                yield delay;
            }
            case CloseCodes.UNSUPPORTED_VERSION -> {
                log.error("the server speaks no protocol version this agent does (close 4003{}): upgrade the "
                        + "agent or the server; retrying every {}", reason, readable(retries.cap()));
                yield retries.cap();
            }
            case CloseCodes.REPLACED -> retry("the server closed this connection: a newer connection of the same "
                    + "agent replaced it (close 4001" + reason + "); is another agent using this key?");
            case CloseCodes.GOING_AWAY -> retry("the server is stopping or draining (close 1001" + reason + ")");
            default -> retry("the server closed the connection (close " + closed.code() + reason + ")");
        };
    }

    private Duration retry(String what) {
        Duration delay = retries.afterFailure();
        log.warn("{}; reconnecting{} in {}", what, nextServer(), readable(delay));
        return delay;
    }

    /** One line on how a session or an attempt ended, kept for {@code tether agent status}; null: stopping. */
    static String summary(SessionEnd end, URI target) {
        return switch (end) {
            case SessionEnd.Rejected rejected -> "the server refused the upgrade with HTTP " + rejected.status()
                    + hint(rejected.status())
                    + (rejected.retryAfter() == null ? "" : " (retry after " + readable(rejected.retryAfter()) + ")");
            case SessionEnd.Failed failed -> "connection to " + target + " failed: " + failed.reason();
            case SessionEnd.Closed closed -> "the server closed the connection (close " + closed.code()
                    + (closed.reason() == null || closed.reason().isEmpty() ? "" : " '" + closed.reason() + "'") + ")";
            case SessionEnd.GoAway goAway -> "the server asked this agent to reconnect"
                    + (goAway.reason().isEmpty() ? "" : " (" + goAway.reason() + ")");
            case SessionEnd.Stopped stopped -> null;
        };
    }

    /** " to URL" naming the server dialed next, when there is more than one; else nothing. */
    private String nextServer() {
        return servers.size() == 1 ? "" : " to " + servers.peek();
    }

    /** "250 ms", "2 s", "1.5 s". */
    static String readable(Duration duration) {
        long millis = duration.toMillis();
        if (millis < 1_000) {
            return millis + " ms";
        }
        return millis % 1_000 == 0 ? millis / 1_000 + " s" : String.format(Locale.ROOT, "%.1f s", millis / 1_000.0);
    }

    private static String hint(int status) {
        return switch (status) {
            case 403 -> ": the key is not allowed to connect";
            case 404 -> ": is --server the Tether server's URL?";
            case 429, 503 -> ": the server is busy";
            default -> "";
        };
    }

    /** Session progress, on the loop thread. */
    private final class Listener implements Session.Listener {

        @Override
        public void established(Session session, Welcome welcome) {
            unauthorizedLogged = false;
            link.connected(target, welcome.getSessionId(), clock.millis());
            log.info("connected to {} as agent {}{} (session {}, protocol {})", target, welcome.getAgentId(),
                    welcome.getAgentName().isEmpty() ? "" : " '" + welcome.getAgentName() + "'",
                    welcome.getSessionId(), welcome.getProtocolVersion());
        }

        @Override
        public void acknowledged() {
            synchronized (drainMonitor) {
                drainMonitor.notifyAll();
            }
        }
    }
}
