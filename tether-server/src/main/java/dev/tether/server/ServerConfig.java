package dev.tether.server;

import dev.tether.protocol.Limits;
import dev.tether.server.cluster.ClusterSettings;
import dev.tether.server.store.Dialect;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

/**
 * How to run the server.
 *
 * @param host interface to listen on
 * @param port TCP port; 0 picks a free one (see {@link TetherServer#port()})
 * @param dataDir where the SQLite database and dev-mode files live; created if missing
 * @param jdbcUrl {@code jdbc:postgresql://...}, or null for SQLite at {@code dataDir/tether.db}
 * @param tlsCert PEM certificate chain, with {@code tlsKey}; both null for plain HTTP
 * @param tlsKey PEM private key (PKCS#8 or PKCS#1)
 * @param insecureHttp allow plain HTTP without TLS
 * @param dev development mode: plain HTTP allowed, admin token and a dev agent's command printed on start
 * @param heartbeatInterval agents' heartbeat interval, sent in Welcome
 * @param adminToken admin token from {@code TETHER_ADMIN_TOKEN}, or null to use a generated or stored one
 * @param console where the start-up banner and a first admin token are printed (not the log)
 * @param shell remote shell sessions: idle timeout, recording
 * @param maxHandshakesPerSecond new agent connections admitted per second; more are told to retry later
 * @param rotateAdminToken forget every admin token (generated, environment or dev) and the browser sessions
 *     signed in with them, and issue a new one ({@code tether server --rotate-admin-token})
 * @param dbPassword the PostgreSQL password, kept out of the URL (from the environment or a file), or null
 * @param cluster this node's name, advertise URL and cluster secret
 * @param retention how long events, finished jobs and the audit log are kept
 */
public record ServerConfig(
        String host,
        int port,
        Path dataDir,
        String jdbcUrl,
        Path tlsCert,
        Path tlsKey,
        boolean insecureHttp,
        boolean dev,
        Duration heartbeatInterval,
        String adminToken,
        PrintStream console,
        ShellSettings shell,
        int maxHandshakesPerSecond,
        boolean rotateAdminToken,
        String dbPassword,
        ClusterSettings cluster,
        RetentionSettings retention) {

    public static final int DEFAULT_PORT = 8080;
    /** New agent connections admitted per second by default: about what one node's database keeps up with. */
    public static final int DEFAULT_MAX_HANDSHAKES_PER_SECOND = 1000;
    /** Shortest heartbeat interval accepted; shorter would flood the server with heartbeats. */
    public static final Duration MIN_HEARTBEAT_INTERVAL = Duration.ofMillis(100);
    /** Longest heartbeat interval accepted; longer would leave dead agents listed online for too long. */
    public static final Duration MAX_HEARTBEAT_INTERVAL = Duration.ofHours(1);
    /** Shortest admin token accepted from the environment. */
    public static final int MIN_ADMIN_TOKEN_LENGTH = 16;

    /** 0.0.0.0:8080, {@code ./tether-data}, SQLite, 30 s heartbeats, {@code System.out}; no TLS, not dev. */
    public static ServerConfig defaults() {
        return new ServerConfig("0.0.0.0", DEFAULT_PORT, Path.of("tether-data"), null, null, null, false, false,
                Limits.DEFAULT_HEARTBEAT_INTERVAL, null, System.out, ShellSettings.defaults(),
                DEFAULT_MAX_HANDSHAKES_PER_SECOND, false, null, ClusterSettings.defaults(), RetentionSettings.defaults());
    }

    /**
     * Checks the configuration.
     *
     * @throws IllegalArgumentException naming the setting and what to do about it
     */
    public void validate() {
        require(host != null && !host.isBlank(), "host must not be empty: pass an interface such as 0.0.0.0");
        require(port >= 0 && port <= 65535, "port must be 0-65535, was " + port);
        require(dataDir != null, "data dir must be set");
        require(console != null, "console must be set");
        require(heartbeatInterval != null
                        && heartbeatInterval.compareTo(MIN_HEARTBEAT_INTERVAL) >= 0
                        && heartbeatInterval.compareTo(MAX_HEARTBEAT_INTERVAL) <= 0,
                "heartbeat interval must be between " + MIN_HEARTBEAT_INTERVAL.toMillis() + " ms and "
                        + MAX_HEARTBEAT_INTERVAL.toHours() + " h, was " + heartbeatInterval);
        if (jdbcUrl != null) {
            Dialect.of(jdbcUrl);
        }
        require(dbPassword == null || jdbcUrl != null,
                "a database password was given but no --db: SQLite in the data dir takes none");
        require(maxHandshakesPerSecond >= 1, "--max-handshakes-per-second must be at least 1, was "
                + maxHandshakesPerSecond);
        require(shell != null, "shell settings must be set");
        shell.validate();
        require(cluster != null, "cluster settings must be set");
        cluster.validate(jdbcUrl != null && Dialect.of(jdbcUrl) == Dialect.POSTGRESQL);
        require(retention != null, "retention settings must be set");
        retention.validate();
        validateTls();
        if (adminToken != null) {
            require(adminToken.length() >= MIN_ADMIN_TOKEN_LENGTH && adminToken.chars().noneMatch(Character::isWhitespace),
                    "TETHER_ADMIN_TOKEN must be at least " + MIN_ADMIN_TOKEN_LENGTH
                            + " characters without spaces (for example: openssl rand -hex 32)");
        }
    }

    private void validateTls() {
        require((tlsCert == null) == (tlsKey == null),
                "TLS needs both files: pass --tls-cert and --tls-key together");
        if (tls()) {
            require(Files.isReadable(tlsCert), "TLS certificate file " + tlsCert + " does not exist or is not readable");
            require(Files.isReadable(tlsKey), "TLS key file " + tlsKey + " does not exist or is not readable");
        } else {
            require(insecureHttp || dev,
                    "refusing to serve plain HTTP: pass --tls-cert/--tls-key, or --insecure-http");
        }
    }

    private static void require(boolean condition, String message) {
        if (!condition) {
            throw new IllegalArgumentException(message);
        }
    }

    /** Whether the server serves HTTPS. */
    public boolean tls() {
        return tlsCert != null && tlsKey != null;
    }

    public ServerConfig withHost(String value) {
        return new ServerConfig(value, port, dataDir, jdbcUrl, tlsCert, tlsKey, insecureHttp, dev, heartbeatInterval,
                adminToken, console, shell, maxHandshakesPerSecond, rotateAdminToken, dbPassword, cluster, retention);
    }

    public ServerConfig withPort(int value) {
        return new ServerConfig(host, value, dataDir, jdbcUrl, tlsCert, tlsKey, insecureHttp, dev, heartbeatInterval,
                adminToken, console, shell, maxHandshakesPerSecond, rotateAdminToken, dbPassword, cluster, retention);
    }

    public ServerConfig withDataDir(Path value) {
        return new ServerConfig(host, port, value, jdbcUrl, tlsCert, tlsKey, insecureHttp, dev, heartbeatInterval,
                adminToken, console, shell, maxHandshakesPerSecond, rotateAdminToken, dbPassword, cluster, retention);
    }

    public ServerConfig withJdbcUrl(String value) {
        return new ServerConfig(host, port, dataDir, value, tlsCert, tlsKey, insecureHttp, dev, heartbeatInterval,
                adminToken, console, shell, maxHandshakesPerSecond, rotateAdminToken, dbPassword, cluster, retention);
    }

    public ServerConfig withTls(Path cert, Path key) {
        return new ServerConfig(host, port, dataDir, jdbcUrl, cert, key, insecureHttp, dev, heartbeatInterval,
                adminToken, console, shell, maxHandshakesPerSecond, rotateAdminToken, dbPassword, cluster, retention);
    }

    public ServerConfig withInsecureHttp(boolean value) {
        return new ServerConfig(host, port, dataDir, jdbcUrl, tlsCert, tlsKey, value, dev, heartbeatInterval,
                adminToken, console, shell, maxHandshakesPerSecond, rotateAdminToken, dbPassword, cluster, retention);
    }

    public ServerConfig withDev(boolean value) {
        return new ServerConfig(host, port, dataDir, jdbcUrl, tlsCert, tlsKey, insecureHttp, value, heartbeatInterval,
                adminToken, console, shell, maxHandshakesPerSecond, rotateAdminToken, dbPassword, cluster, retention);
    }

    public ServerConfig withHeartbeatInterval(Duration value) {
        return new ServerConfig(host, port, dataDir, jdbcUrl, tlsCert, tlsKey, insecureHttp, dev, value,
                adminToken, console, shell, maxHandshakesPerSecond, rotateAdminToken, dbPassword, cluster, retention);
    }

    public ServerConfig withAdminToken(String value) {
        return new ServerConfig(host, port, dataDir, jdbcUrl, tlsCert, tlsKey, insecureHttp, dev, heartbeatInterval,
                value, console, shell, maxHandshakesPerSecond, rotateAdminToken, dbPassword, cluster, retention);
    }

    public ServerConfig withShell(ShellSettings value) {
        return new ServerConfig(host, port, dataDir, jdbcUrl, tlsCert, tlsKey, insecureHttp, dev, heartbeatInterval,
                adminToken, console, value, maxHandshakesPerSecond, rotateAdminToken, dbPassword, cluster, retention);
    }

    public ServerConfig withMaxHandshakesPerSecond(int value) {
        return new ServerConfig(host, port, dataDir, jdbcUrl, tlsCert, tlsKey, insecureHttp, dev, heartbeatInterval,
                adminToken, console, shell, value, rotateAdminToken, dbPassword, cluster, retention);
    }

    public ServerConfig withRotateAdminToken(boolean value) {
        return new ServerConfig(host, port, dataDir, jdbcUrl, tlsCert, tlsKey, insecureHttp, dev, heartbeatInterval,
                adminToken, console, shell, maxHandshakesPerSecond, value, dbPassword, cluster, retention);
    }

    public ServerConfig withConsole(PrintStream value) {
        return new ServerConfig(host, port, dataDir, jdbcUrl, tlsCert, tlsKey, insecureHttp, dev, heartbeatInterval,
                adminToken, value, shell, maxHandshakesPerSecond, rotateAdminToken, dbPassword, cluster, retention);
    }

    public ServerConfig withDbPassword(String value) {
        return new ServerConfig(host, port, dataDir, jdbcUrl, tlsCert, tlsKey, insecureHttp, dev, heartbeatInterval,
                adminToken, console, shell, maxHandshakesPerSecond, rotateAdminToken, value, cluster, retention);
    }

    public ServerConfig withCluster(ClusterSettings value) {
        return new ServerConfig(host, port, dataDir, jdbcUrl, tlsCert, tlsKey, insecureHttp, dev, heartbeatInterval,
                adminToken, console, shell, maxHandshakesPerSecond, rotateAdminToken, dbPassword, value, retention);
    }

    public ServerConfig withRetention(RetentionSettings value) {
        return new ServerConfig(host, port, dataDir, jdbcUrl, tlsCert, tlsKey, insecureHttp, dev, heartbeatInterval,
                adminToken, console, shell, maxHandshakesPerSecond, rotateAdminToken, dbPassword, cluster, value);
    }

    /** Secrets masked: the admin token, and any password in the JDBC URL. */
    @Override
    public String toString() {
        return "ServerConfig[host=" + host + ", port=" + port + ", dataDir=" + dataDir
                + ", jdbcUrl=" + (jdbcUrl == null ? "(SQLite in data dir)" : Dialect.redact(jdbcUrl))
                + ", tlsCert=" + tlsCert + ", tlsKey=" + tlsKey + ", insecureHttp=" + insecureHttp + ", dev=" + dev
                + ", heartbeatInterval=" + heartbeatInterval + ", adminToken=" + (adminToken == null ? "null" : "****")
                + ", shell=" + shell + ", maxHandshakesPerSecond=" + maxHandshakesPerSecond
                + ", rotateAdminToken=" + rotateAdminToken
                + ", dbPassword=" + (dbPassword == null ? "null" : "****") + ", cluster=" + cluster
                + ", retention=" + retention + "]";
    }
}
