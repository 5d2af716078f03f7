package dev.tether.server;

import dev.tether.protocol.CloseCodes;
import dev.tether.protocol.Limits;
import dev.tether.server.api.ApiRouter;
import dev.tether.server.audit.AuditLog;
import dev.tether.server.auth.AdminTokens;
import dev.tether.server.auth.BrowserAuth;
import dev.tether.server.auth.BrowserSessions;
import dev.tether.server.auth.PrivateFiles;
import dev.tether.server.cluster.Cluster;
import dev.tether.server.cluster.ClusterSettings;
import dev.tether.server.dispatch.Dispatcher;
import dev.tether.server.events.EventBroadcaster;
import dev.tether.server.events.EventLog;
import dev.tether.server.events.PresenceEvents;
import dev.tether.server.enroll.Enrollment;
import dev.tether.server.enroll.EnrollmentTokenStore;
import dev.tether.server.gateway.AgentGateway;
import dev.tether.server.gateway.EnrollEndpoint;
import dev.tether.server.http.AccessLog;
import dev.tether.server.http.HttpLimits;
import dev.tether.server.http.RouteTemplates;
import dev.tether.server.hub.Hub;
import dev.tether.server.metrics.ServerMetrics;
import dev.tether.server.shell.Recordings;
import dev.tether.server.shell.NodeShellEndpoint;
import dev.tether.server.shell.RemoteShells;
import dev.tether.server.shell.ShellBroker;
import dev.tether.server.shell.ShellEndpoint;
import dev.tether.server.shell.ShellSessionStore;
import dev.tether.server.store.AdminTokenStore;
import dev.tether.server.store.AgentSessionStore;
import dev.tether.server.store.AgentStore;
import dev.tether.server.store.Database;
import dev.tether.server.store.DbExecutor;
import dev.tether.server.store.Dialect;
import dev.tether.server.store.SqliteLock;
import dev.tether.server.store.SqliteNative;
import dev.tether.server.users.UserStore;
import dev.tether.server.users.Users;
import dev.tether.server.ui.WebAssets;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.net.PemKeyCertOptions;
import io.vertx.ext.web.Router;
import java.io.IOException;
import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.nio.file.FileSystemException;
import java.nio.file.Path;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Tether control plane: agent gateway, hub, command dispatcher, REST API,
 * event stream and storage in one process. {@link #start} returns once the
 * database is migrated and the port is listening; {@link #close} disconnects every agent with 1001 "server
 * stopping", flushes {@code last_seen} and releases everything.
 *
 * <p>Thread safe. {@link #close} blocks: do not call it from a Vert.x thread.
 */
public final class TetherServer implements AutoCloseable {

    /** Threads running database work (JDBC blocks), and connections in the pool, on PostgreSQL. */
    static final int DB_THREADS = Math.max(4, Math.min(16, 2 * Runtime.getRuntime().availableProcessors()));
    /**
     * The same on SQLite. Its writes are committed in groups by one writer (GroupCommit), and a group holds
     * the transactions of the threads waiting for it: more threads, larger groups, fewer fsyncs. Most of
     * them are blocked waiting at any time; reads run on their own connections in parallel (WAL).
     */
    static final int SQLITE_DB_THREADS = 32;
    /** Threads (and connections) that only look agent keys up, so upgrades never wait behind agents' lanes. */
    static final int KEY_CHECK_THREADS = 2;
    /** The SQLite database in the data dir, when no --db is given. */
    static final String SQLITE_FILE = "tether.db";
    /** Netty's own setting for where it unpacks its native transport. */
    private static final String NETTY_WORKDIR = "io.netty.native.workdir";
    /** How long agents get to answer the close frame on shutdown. */
    private static final Duration SHUTDOWN_GRACE = Duration.ofSeconds(2);
    /** How long a closing WebSocket waits for the peer's close frame before dropping the TCP connection. */
    private static final Duration WEBSOCKET_CLOSING_TIMEOUT = Duration.ofSeconds(2);
    private static final Logger LOG = LoggerFactory.getLogger(TetherServer.class);

    private final Deque<AutoCloseable> resources;
    private final HttpServer http;
    private final Hub hub;
    private final Cluster cluster;
    private final Router router;
    private final AtomicBoolean closed = new AtomicBoolean();

    private TetherServer(Deque<AutoCloseable> resources, HttpServer http, Hub hub, Cluster cluster, Router router) {
        this.resources = resources;
        this.http = http;
        this.hub = hub;
        this.cluster = cluster;
        this.router = router;
    }

    public static TetherServer start(ServerConfig config) throws Exception {
        config.validate();
        Deque<AutoCloseable> resources = new ArrayDeque<>();
        try {
            return start(config, resources);
        } catch (Exception | Error e) {
            closeAll(resources);
            throw e;
        }
    }

    private static TetherServer start(ServerConfig config, Deque<AutoCloseable> resources) throws Exception {
        createDataDir(config.dataDir(), config.jdbcUrl());
        String jdbcUrl = config.jdbcUrl() != null ? config.jdbcUrl()
                : "jdbc:sqlite:" + config.dataDir().resolve(SQLITE_FILE).toAbsolutePath();
        // Closed in reverse: the executor finishes its tasks before the database closes.
        int dbThreads = Dialect.of(jdbcUrl) == Dialect.SQLITE ? SQLITE_DB_THREADS : DB_THREADS;
        if (Dialect.of(jdbcUrl) == Dialect.SQLITE) {
            push(resources, SqliteLock.acquire(jdbcUrl));
            SqliteNative.unpackBeside(jdbcUrl);
        }
        String nodeName = config.cluster().nodeName();
        Database db = push(resources, openDatabase(jdbcUrl, config.dbPassword(), dbThreads + KEY_CHECK_THREADS,
                ClusterSettings.applicationName(nodeName)));
        DbExecutor executor = push(resources, DbExecutor.create(dbThreads));
        DbExecutor keyChecks = push(resources, DbExecutor.create(KEY_CHECK_THREADS));
        db.migrate();
        LOG.info("database ready: {}", Dialect.redact(jdbcUrl));
        AdminTokens tokens = AdminTokens.setUp(new AdminTokenStore(db), config.dataDir(), config.adminToken(),
                config.dev(), config.rotateAdminToken(), config.console());
        if (config.dev()) {
            DevMode.ensureDevAgent(new AgentStore(db), config.dataDir());
        }

        // Native epoll where Netty has it for this platform (Linux x86-64 in this build), NIO elsewhere.
        unpackNettyNativeCodeIn(config.dataDir());
        Vertx vertx = Vertx.vertx(new VertxOptions().setPreferNativeTransport(true));
        LOG.info("network transport: {}", vertx.isNativeTransportEnabled() ? "epoll" : "nio");
        resources.push(() -> vertx.close().await(SHUTDOWN_GRACE.toMillis(), TimeUnit.MILLISECONDS));
        ServerMetrics metrics = push(resources, new ServerMetrics(version()));
        db.instrument(metrics.registry());
        Hub hub = new Hub(vertx, nodeName, metrics, config.heartbeatInterval(), Limits.HANDSHAKE_TIMEOUT,
                new AgentSessionStore(db, nodeName), executor);
        resources.push(hub);
        EventLog eventLog = new EventLog(db);
        EventBroadcaster broadcaster = new EventBroadcaster(eventLog, executor);
        broadcaster.start();
        Cluster cluster = push(resources, Cluster.join(clusterDatabase(db, jdbcUrl, config, resources),
                config.cluster(), advertiseUrl(config), version(), hub, broadcaster));
        metrics.gaugeLeaseAge(() -> cluster.sinceRenewal().toMillis() / 1000.0);
        Dispatcher dispatcher = push(resources, new Dispatcher(db, executor, hub, metrics, eventLog, broadcaster,
                config.retention()));
        ShellSessionStore shellSessions = new ShellSessionStore(db, nodeName);
        AuditLog audit = new AuditLog(db);
        Enrollment enrollment = new Enrollment(db, new EnrollmentTokenStore(db), audit);
        Users users = new Users(new UserStore(db), audit);
        EnrollEndpoint enroll = new EnrollEndpoint(enrollment, executor);
        Recordings recordings = push(resources, new Recordings(config.dataDir(), config.shell().recordingRetention(),
                shellSessions));
        ShellBroker shells = push(resources, new ShellBroker(config.shell(), shellSessions, audit, recordings,
                executor, metrics));
        AgentGateway gateway = new AgentGateway(db, executor, keyChecks, hub, metrics, dispatcher,
                new PresenceEvents(eventLog, broadcaster), shells, config.heartbeatInterval(),
                config.maxHandshakesPerSecond(), cluster::draining);
        BrowserAuth browser = new BrowserAuth(BrowserSessions.load(db, tokens), config.tls());
        ShellEndpoint shellEndpoint = new ShellEndpoint(tokens, browser, users, new AgentStore(db), executor, hub,
                shells, new RemoteShells(vertx, config.cluster().secret(), cluster::nodeName, cluster::nodes,
                        new AgentStore(db), shellSessions, executor));
        NodeShellEndpoint nodeShells = new NodeShellEndpoint(config.cluster().secret(), shellEndpoint);
        WebAssets web = WebAssets.load(TetherServer.class.getClassLoader());
        if (!web.present()) {
            LOG.warn("the web UI is not in this build (needs Node.js 20+ and npm at build time); the API works");
        }
        Router router = ApiRouter.create(vertx, db, executor, hub, metrics, tokens, dispatcher, eventLog,
                broadcaster, shellSessions, recordings, audit, enrollment, users, browser, web, cluster, config.dataDir());
        HttpServer http = vertx.createHttpServer(httpOptions(config)).requestHandler(request -> {
            if (AgentGateway.PATH.equals(request.path())) {
                gateway.handle(request);
            } else if (EnrollEndpoint.PATH.equals(request.path())) {
                enroll.handle(request);
            } else if (ShellEndpoint.matches(request.path())) {
                shellEndpoint.handle(request);
            } else if (NodeShellEndpoint.matches(request.path())) {
                nodeShells.handle(request);
            } else {
                router.handle(request);
            }
        });
        AccessLog accessLog = new AccessLog(metrics.http(), RouteTemplates.of(router, AgentGateway.PATH,
                EnrollEndpoint.PATH, ShellEndpoint.TEMPLATE, NodeShellEndpoint.TEMPLATE));
        http.connectionHandler(connection -> {
            HttpLimits.guard(connection);
            accessLog.attach(connection);
        });
        // Peers resetting connections is routine; Vert.x would log each at ERROR without a handler.
        http.exceptionHandler(failure -> LOG.debug("connection error", failure));
        listen(http, config);
        if (config.cluster().advertiseUrl() == null && config.port() == 0) {
            cluster.advertise(url(config, config.host(), http.actualPort()));
        }
        hub.start();
        dispatcher.start(vertx, cluster::leader);
        shells.start(vertx);

        TetherServer server = new TetherServer(resources, http, hub, cluster, router);
        LOG.info("listening on {}://{}:{}", config.tls() ? "https" : "http", config.host(), server.port());
        if (config.dev()) {
            DevMode.printBanner(config.console(), config, server.port(), tokens.devToken());
        }
        return server;
    }

    /**
     * The connections the cluster's own work uses (lease renewal, sweeps, notices): on PostgreSQL a small pool
     * of their own, so a lease is renewed and a wake-up sent even while every connection of the main pool is
     * busy with a fan-out; on SQLite (one node) the server's database.
     */
    private static Database clusterDatabase(Database db, String jdbcUrl, ServerConfig config,
            Deque<AutoCloseable> resources) {
        if (db.dialect() != Dialect.POSTGRESQL) {
            return db;
        }
        Database own = Database.open(jdbcUrl, config.dbPassword(), Cluster.CONNECTIONS,
                ClusterSettings.applicationName(config.cluster().nodeName()));
        resources.push(own);
        return own;
    }

    /** This build's version, from the jar's manifest; "dev" when run from classes. */
    public static String version() {
        String version = TetherServer.class.getPackage().getImplementationVersion();
        return version == null ? "dev" : version;
    }

    /** The URL other nodes reach this one at: {@code --advertise-url}, else this host and the port. */
    private static URI advertiseUrl(ServerConfig config) {
        if (config.cluster().advertiseUrl() != null) {
            return config.cluster().advertiseUrl();
        }
        String host = config.host();
        if (host.equals("0.0.0.0") || host.equals("::")) {
            try {
                host = InetAddress.getLocalHost().getHostName();
            } catch (UnknownHostException e) {
                host = "localhost";
            }
        }
        return url(config, host, config.port());
    }

    private static URI url(ServerConfig config, String host, int port) {
        String shown = host.contains(":") && !host.startsWith("[") ? "[" + host + "]" : host;
        return URI.create((config.tls() ? "https" : "http") + "://" + shown + ":" + port);
    }

    private static void listen(HttpServer http, ServerConfig config) {
        try {
            http.listen(config.port(), config.host()).await();
        } catch (Exception e) {
            // await() rethrows the bind failure as is, a checked BindException included.
            throw new IllegalStateException("cannot listen on " + config.host() + ":" + config.port() + " ("
                    + e.getMessage() + "): is another server using the port? Pick another with --port", e);
        }
    }

    private static HttpServerOptions httpOptions(ServerConfig config) {
        HttpServerOptions options = HttpLimits.apply(new HttpServerOptions())
                .setMaxWebSocketFrameSize(Limits.MAX_FRAME_BYTES)
                .setMaxWebSocketMessageSize(Limits.MAX_FRAME_BYTES)
                .setWebSocketClosingTimeout((int) WEBSOCKET_CLOSING_TIMEOUT.toSeconds())
                // Compression would cost a deflater per idle connection; envelopes are small protobufs.
                .setPerMessageWebSocketCompressionSupported(false)
                .setPerFrameWebSocketCompressionSupported(false);
        if (config.tls()) {
            options.setSsl(true).setKeyCertOptions(new PemKeyCertOptions()
                    .setCertPath(config.tlsCert().toString())
                    .setKeyPath(config.tlsKey().toString()));
        }
        return options;
    }

    /**
     * The data dir 0700 and, for SQLite, the database file 0600 before SQLite opens it: SQLite
     * would create it 0644 (less the umask), and gives its -wal and -shm files the database's mode.
     */
    private static void createDataDir(Path dataDir, String jdbcUrl) throws IOException {
        try {
            PrivateFiles.directory(dataDir);
            if (jdbcUrl == null) {
                Path sqlite = dataDir.resolve(SQLITE_FILE);
                PrivateFiles.file(sqlite);
                PrivateFiles.narrow(Path.of(sqlite + "-wal"), PrivateFiles.FILE);
                PrivateFiles.narrow(Path.of(sqlite + "-shm"), PrivateFiles.FILE);
            }
        } catch (FileSystemException e) {
            // A volume or directory owned by another user, or a read-only mount: say whose it must be.
            String user = System.getProperty("user.name");
            throw new IllegalArgumentException("cannot write the data dir " + dataDir.toAbsolutePath() + " as user "
                    + user + " (" + e.getMessage() + "): make it writable by " + user + " (chown -R " + user + " "
                    + dataDir.toAbsolutePath() + "), or choose another with --data-dir", e);
        }
    }

    /**
     * Netty unpacks its epoll library into {@code java.io.tmpdir} (and deletes it once loaded); a host that mounts
     * {@code /tmp} {@code noexec} would leave the server on NIO. The data dir is the server's own, unless the
     * operator chose a place ({@code -Dio.netty.native.workdir}).
     */
    private static void unpackNettyNativeCodeIn(Path dataDir) {
        if (System.getProperty(NETTY_WORKDIR) == null) {
            System.setProperty(NETTY_WORKDIR, dataDir.toAbsolutePath().toString());
        }
    }

    /** The database, or an error that says what failed and where to look instead of the pool's stack trace. */
    private static Database openDatabase(String jdbcUrl, String password, int callers, String applicationName) {
        try {
            return Database.open(jdbcUrl, password, callers, applicationName);
        } catch (RuntimeException e) {
            String nativeLibrary = SqliteNative.describeFailure(e, "use a --data-dir where the server's user may "
                    + "write and run files, or set -D" + SqliteNative.TMPDIR + "=DIR in TETHER_JAVA_OPTS");
            if (nativeLibrary != null) {
                throw new IllegalStateException("cannot open the database " + Dialect.redact(jdbcUrl) + ": "
                        + nativeLibrary, e);
            }
            String reason = e.getMessage();
            for (Throwable cause = e; cause != null; cause = cause.getCause()) {
                if (cause instanceof SQLException sql) {
                    reason = sql.getMessage();
                    break;
                }
            }
            throw new IllegalStateException("cannot open the database " + Dialect.redact(jdbcUrl) + ": " + reason
                    + " (check --db, that the database runs and takes connections from this host, and its password)",
                    e);
        }
    }

    /** The port the server listens on (the actual one when the config asked for 0). */
    public int port() {
        return http.actualPort();
    }

    /**
     * The router of the REST API and the web UI (the agent, enrolment and terminal endpoints are upgraded before
     * it): what {@link Router#getRoutes()} lists is what is mounted, which the OpenAPI document is checked against.
     */
    public Router router() {
        return router;
    }

    /** The agents connected to this node (tests drive their connections through it). */
    public Hub hub() {
        return hub;
    }

    /** This node's name in the cluster. */
    public String nodeName() {
        return cluster.nodeName();
    }

    /**
     * Drains (when other nodes are alive, the agents are handed to them over a few seconds), disconnects the
     * remaining agents with 1001, flushes last_seen, stops; idempotent.
     */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        cluster.drain();
        hub.closeAll(CloseCodes.GOING_AWAY, "server stopping");
        try {
            // Waits until agents answered the close frames (or the grace ends), then drops the rest.
            http.shutdown(SHUTDOWN_GRACE.toMillis(), TimeUnit.MILLISECONDS)
                    .await(2 * SHUTDOWN_GRACE.toMillis(), TimeUnit.MILLISECONDS);
        } catch (Exception e) {
            LOG.warn("HTTP server did not stop cleanly", e);
        }
        closeAll(resources);
        LOG.info("server stopped");
    }

    private static <T extends AutoCloseable> T push(Deque<AutoCloseable> resources, T resource) {
        resources.push(resource);
        return resource;
    }

    private static void closeAll(Deque<AutoCloseable> resources) {
        while (!resources.isEmpty()) {
            try {
                resources.pop().close();
            } catch (Exception e) {
                LOG.warn("error while stopping", e);
            }
        }
    }
}
