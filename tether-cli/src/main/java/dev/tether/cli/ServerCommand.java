package dev.tether.cli;

import dev.tether.server.RetentionSettings;
import dev.tether.server.ServerConfig;
import dev.tether.server.ShellSettings;
import dev.tether.server.TetherServer;
import dev.tether.server.auth.SecretFile;
import dev.tether.server.cluster.ClusterSettings;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code tether server}: runs the control plane in the foreground until SIGTERM or Ctrl-C. */
@Command(name = "server", mixinStandardHelpOptions = true,
        description = {"Run the Tether control plane.",
                "Without --db it keeps everything in SQLite under --data-dir (zero setup)."})
final class ServerCommand implements Callable<Integer> {

    /** The admin token to accept (see {@code AdminTokens}); never a flag, so it stays out of {@code ps}. */
    static final String ADMIN_TOKEN_ENV = "TETHER_ADMIN_TOKEN";
    private static final String DEV_LISTEN = "127.0.0.1:8080";
    private static final Path DEV_DATA_DIR = Path.of("tether-data");

    @Option(names = "--listen", paramLabel = "HOST:PORT",
            description = "Address to serve on (default 0.0.0.0:8080; 127.0.0.1:8080 with --dev).")
    String listen;

    @Option(names = "--data-dir", paramLabel = "DIR",
            description = "Where the server keeps its SQLite database and files (default ./tether-data).")
    Path dataDir;

    @Option(names = "--db", paramLabel = "JDBC_URL",
            description = "Database: default SQLite in the data dir; jdbc:postgresql://HOST/DB?user=U for PostgreSQL "
                    + "(the password from --db-password-file or $" + DbPassword.ENV + ", never in the URL).")
    String db;

    @Option(names = "--db-password-file", paramLabel = "FILE",
            description = "File holding the PostgreSQL password (else $" + DbPassword.ENV + ").")
    Path dbPasswordFile;

    @Option(names = "--tls-cert", paramLabel = "PEM", description = "TLS certificate chain (PEM).")
    Path tlsCert;

    @Option(names = "--tls-key", paramLabel = "PEM", description = "TLS private key (PEM, PKCS#8 or PKCS#1).")
    Path tlsKey;

    @Option(names = "--insecure-http", description = "Allow serving plain HTTP without TLS (agent keys cross the network in clear).")
    boolean insecureHttp;

    @Option(names = "--dev", description = {"Development mode: plain HTTP on " + DEV_LISTEN + ", data in ./tether-data,",
            "prints the admin token and a ready-to-paste agent command."})
    boolean dev;

    @Option(names = "--max-handshakes-per-second", paramLabel = "N",
            description = "Admit at most N new agent connections a second; the rest are told (503, Retry-After) "
                    + "when to retry, so a reconnect storm is paced (default 1000).")
    Integer maxHandshakesPerSecond;

    @Option(names = "--rotate-admin-token", description = {"Forget every admin token (a generated one, an earlier "
            + "TETHER_ADMIN_TOKEN, the dev one) and the browser sessions signed in with them, then issue a new one:",
            "TETHER_ADMIN_TOKEN when set, else a new token printed once. Setting a new TETHER_ADMIN_TOKEN does "
                    + "the same."})
    boolean rotateAdminToken;

    @Option(names = "--shell-idle-timeout", paramLabel = "DURATION", converter = Durations.class,
            description = "Close a shell session idle this long, and give an agent whose link dropped this long to "
                    + "return before its sessions end (default 1h).")
    Duration shellIdleTimeout;

    @Option(names = "--record-input", description = "Also record what operators type in shell sessions "
            + "(off by default: passwords typed at a prompt would be kept).")
    boolean recordInput;

    @Option(names = "--recording-retention", paramLabel = "DURATION", converter = Durations.class,
            description = "Delete shell recordings older than this (default 30d).")
    Duration recordingRetention;

    @Option(names = "--recording-max-bytes", paramLabel = "SIZE", converter = ByteSizes.class,
            description = "Stop a shell recording at this size, in bytes or with a k, m or g suffix (default 256m); "
                    + "the session goes on unrecorded and its record and audit entry say so.")
    Long recordingMaxBytes;

    @Option(names = "--heartbeat-interval", paramLabel = "DURATION", converter = Durations.class,
            description = "Heartbeat interval told to agents (default 30s). An agent silent for 3 intervals is offline.")
    Duration heartbeatInterval;

    @Option(names = "--node-name", paramLabel = "NAME",
            description = "This node's name in a cluster, unique among the nodes (default: the host name; "
                    + "$TETHER_NODE_NAME).")
    String nodeName;

    @Option(names = "--advertise-url", paramLabel = "URL",
            description = "Where the other nodes of a cluster reach this one (default: http(s)://HOST:PORT of "
                    + "--listen; $TETHER_ADVERTISE_URL).")
    URI advertiseUrl;

    @Option(names = "--cluster-secret-file", paramLabel = "FILE",
            description = "File holding the secret the nodes of a cluster share (at least 32 characters; "
                    + "$TETHER_CLUSTER_SECRET_FILE). Cluster mode needs --db jdbc:postgresql://...")
    Path clusterSecretFile;

    @Option(names = "--retention-events", paramLabel = "DURATION", converter = Durations.class,
            description = "Delete events agents reported once older than this (default 30d; 0 keeps them).")
    Duration retentionEvents;

    @Option(names = "--retention-jobs", paramLabel = "DURATION", converter = Durations.class,
            description = "Delete finished commands, with their jobs and output, once older than this "
                    + "(default 90d; 0 keeps them).")
    Duration retentionJobs;

    @Option(names = "--retention-audit", paramLabel = "DURATION", converter = Durations.class,
            description = "Delete audit log entries once older than this (default 365d; 0 keeps them).")
    Duration retentionAudit;

    /** Read by {@link FlagDefaults} before parsing; declared so picocli accepts it and lists it. */
    @Option(names = FlagDefaults.CONFIG_FLAG, paramLabel = "FILE",
            description = {"Read flags from FILE: one NAME = VALUE per line, NAME a flag without the dashes "
                    + "(listen = 0.0.0.0:8443); # starts a comment ($TETHER_CONFIG).",
                    "Every flag can also come from the environment: --heartbeat-interval is $TETHER_HEARTBEAT_INTERVAL. "
                            + "The command line wins, then the environment, then the file."})
    Path configFile;

    @Override
    public Integer call() throws Exception {
        ServerConfig config = config();
        TetherServer server = TetherServer.start(config);
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            server.close();
            stopped.countDown();
        }, "tether-shutdown"));
        stopped.await();
        return 0;
    }

    ServerConfig config() throws IOException {
        ServerConfig defaults = ServerConfig.defaults();
        HostPort address = HostPort.parse(listen != null ? listen
                : dev ? DEV_LISTEN : defaults.host() + ":" + defaults.port());
        ServerConfig config = new ServerConfig(
                address.host(),
                address.port(),
                dataDir != null ? dataDir : dev ? DEV_DATA_DIR : defaults.dataDir(),
                db,
                tlsCert,
                tlsKey,
                insecureHttp || dev,
                dev,
                heartbeatInterval != null ? heartbeatInterval : defaults.heartbeatInterval(),
                blankToNull(System.getenv(ADMIN_TOKEN_ENV)),
                System.out,
                shellSettings(defaults.shell()),
                maxHandshakesPerSecond != null ? maxHandshakesPerSecond : defaults.maxHandshakesPerSecond(),
                rotateAdminToken,
                DbPassword.resolve(db, dbPasswordFile, System.getenv(DbPassword.ENV)),
                clusterSettings(defaults.cluster()),
                new RetentionSettings(
                        retentionEvents != null ? retentionEvents : defaults.retention().events(),
                        retentionJobs != null ? retentionJobs : defaults.retention().jobs(),
                        retentionAudit != null ? retentionAudit : defaults.retention().audit()));
        config.validate();
        return config;
    }

    private ClusterSettings clusterSettings(ClusterSettings defaults) throws IOException {
        // $TETHER_NODE_NAME, $TETHER_ADVERTISE_URL and $TETHER_CLUSTER_SECRET_FILE arrive through FlagDefaults.
        return new ClusterSettings(nodeName != null ? nodeName : defaults.nodeName(), advertiseUrl,
                clusterSecretFile == null ? null : clusterSecret(clusterSecretFile));
    }

    private static String clusterSecret(Path file) throws IOException {
        if (!Files.isRegularFile(file)) {
            throw new IllegalArgumentException("--cluster-secret-file " + file + " does not exist: create it with "
                    + "'openssl rand -hex 32 > " + file + "' and give every node the same file");
        }
        String secret = SecretFile.read(file);
        if (secret == null) {
            throw new IllegalArgumentException("--cluster-secret-file " + file + " is empty: put the cluster secret "
                    + "in it (openssl rand -hex 32)");
        }
        return secret;
    }

    private ShellSettings shellSettings(ShellSettings defaults) {
        return new ShellSettings(
                shellIdleTimeout != null ? shellIdleTimeout : defaults.idleTimeout(),
                recordInput,
                recordingRetention != null ? recordingRetention : defaults.recordingRetention(),
                recordingMaxBytes != null ? recordingMaxBytes : defaults.recordingMaxBytes());
    }

    private static String blankToNull(String value) {
        return value == null || value.isBlank() ? null : value;
    }

    /** A {@code HOST:PORT} pair; IPv6 hosts are written in brackets. */
    record HostPort(String host, int port) {

        static HostPort parse(String value) {
            int colon = value.lastIndexOf(':');
            if (colon <= 0 || colon == value.length() - 1) {
                throw new IllegalArgumentException("invalid --listen '" + value + "': write HOST:PORT, e.g. 0.0.0.0:8080");
            }
            String host = value.substring(0, colon);
            if (host.startsWith("[") && host.endsWith("]")) {
                host = host.substring(1, host.length() - 1);
            }
            int port;
            try {
                port = Integer.parseInt(value.substring(colon + 1));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("invalid port in --listen '" + value + "': use a number from 0 to 65535");
            }
            if (port < 0 || port > 65535) {
                throw new IllegalArgumentException("invalid port in --listen '" + value + "': use a number from 0 to 65535");
            }
            return new HostPort(host, port);
        }
    }
}
