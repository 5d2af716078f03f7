package dev.tether.server.store;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import com.zaxxer.hikari.metrics.micrometer.MicrometerMetricsTrackerFactory;
import io.micrometer.core.instrument.MeterRegistry;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.time.Duration;
import java.util.Properties;
import java.util.concurrent.ThreadLocalRandom;
import java.util.regex.Pattern;
import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.MigrationInfo;
import org.flywaydb.core.api.MigrationInfoService;
import org.flywaydb.core.api.MigrationState;
import org.flywaydb.core.api.MigrationVersion;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The server's database: a HikariCP pool over SQLite or PostgreSQL, versioned
 * migrations, and transactions.
 *
 * <p>SQLite runs in WAL mode with {@code synchronous=FULL} (a commit survives a
 * power loss, which the reliable channel promises), a busy timeout, and
 * {@code BEGIN IMMEDIATE} transactions, so a transaction that reads before it
 * writes waits for the write lock instead of failing with SQLITE_BUSY. The busy
 * timeout is {@link #SQLITE_BUSY_TIMEOUT} unless the JDBC URL sets its own
 * ({@code jdbc:sqlite:FILE?busy_timeout=MILLIS}).
 *
 * <p>Transaction rules: a transaction commits only when its work returned, and
 * is rolled back when the work throws anything, {@code Error}s included; work
 * is never run again after a commit that may have taken effect. A transaction
 * that failed because of the database rather than its work (the write lock held
 * elsewhere past the busy timeout, a failed commit) throws
 * {@link StoreUnavailableException}. See {@link GroupCommit} for SQLite and
 * {@link #inTransaction} for PostgreSQL.
 *
 * <p>Every method blocks: call them only from {@link DbExecutor} threads, never
 * from a Vert.x event loop. Thread safe.
 */
public final class Database implements AutoCloseable {

    /** How long a SQLite writer waits for the lock held by another. */
    private static final Duration SQLITE_BUSY_TIMEOUT = Duration.ofSeconds(10);
    /** A busy timeout set in a SQLite JDBC URL's query. */
    private static final Pattern URL_BUSY_TIMEOUT = Pattern.compile("[?&]busy_timeout=");
    /** Runs of a transaction PostgreSQL aborted to break a deadlock, in all. */
    static final int ATTEMPTS = 3;
    private static final Logger LOG = LoggerFactory.getLogger(Database.class);
    /** Page cache of each pooled SQLite connection, KiB (see {@link GroupCommit#WRITER_CACHE_KIB}). */
    static final int READER_CACHE_KIB = 512;
    /** How long a caller waits for a pooled connection before failing. */
    private static final Duration CONNECTION_TIMEOUT = Duration.ofSeconds(10);

    private final HikariDataSource pool;
    private final Dialect dialect;
    /** What {@link #openDedicated} logs in with. */
    private final String jdbcUrl;
    private final String password;
    private final String applicationName;
    /** SQLite's writes, committed in groups; null on PostgreSQL, which commits concurrent transactions itself. */
    private final GroupCommit groupCommit;
    /** The newest committed outbox rows of the agents connected here; see {@link OutboxTails}. */
    private final OutboxTails outboxTails;

    private Database(HikariDataSource pool, Dialect dialect, String jdbcUrl, String password,
            String applicationName) {
        this.pool = pool;
        this.dialect = dialect;
        this.jdbcUrl = jdbcUrl;
        this.password = password;
        this.applicationName = applicationName;
        this.groupCommit = dialect == Dialect.SQLITE ? GroupCommit.start(pool) : null;
        this.outboxTails = OutboxTails.forDialect(dialect);
    }

    /**
     * Opens a pool for {@code callers} threads (plus SQLite's group-commit writer); does not migrate.
     */
    public static Database open(String jdbcUrl, int callers) {
        return open(jdbcUrl, null, callers);
    }

    /** As {@link #open(String, int)}, logging in with {@code password} (null: the URL's, if any). */
    public static Database open(String jdbcUrl, String password, int callers) {
        return open(jdbcUrl, password, callers, "tether");
    }

    /**
     * As {@link #open(String, String, int)}, every PostgreSQL connection named {@code applicationName}
     * ({@code pg_stat_activity.application_name}): the cluster ends a dead node's sessions by it.
     */
    public static Database open(String jdbcUrl, String password, int callers, String applicationName) {
        Dialect dialect = Dialect.of(jdbcUrl);
        HikariConfig config = new HikariConfig();
        config.setPoolName("tether-db");
        config.setJdbcUrl(jdbcUrl);
        config.setPassword(password);
        // SQLite's writer needs a connection of its own even when every caller holds one.
        config.setMaximumPoolSize(dialect == Dialect.SQLITE ? callers + 1 : callers);
        config.setConnectionTimeout(CONNECTION_TIMEOUT.toMillis());
        if (dialect == Dialect.SQLITE) {
            config.addDataSourceProperty("journal_mode", "WAL");
            config.addDataSourceProperty("synchronous", "FULL");
            config.addDataSourceProperty("foreign_keys", "true");
            if (!URL_BUSY_TIMEOUT.matcher(jdbcUrl).find()) {
                // sqlite-jdbc lets the pool's property win over the URL's, so only set it when the URL does not.
                config.addDataSourceProperty("busy_timeout", String.valueOf(SQLITE_BUSY_TIMEOUT.toMillis()));
            }
            config.addDataSourceProperty("transaction_mode", "IMMEDIATE");
            // Otherwise sqlite-jdbc matches every statement it runs against a regex and follows each INSERT with a
            // SELECT last_insert_rowid() of its own; the one id read back uses RETURNING instead.
            config.addDataSourceProperty("jdbc.get_generated_keys", "false");
            // Each pooled connection has its own page cache; with a few dozen of them SQLite's 2 MiB default
            // adds up to tens of MiB of copies of the same pages. Readers keep a small one (the OS caches the
            // file); the group-commit writer, which every write goes through, sets a large one of its own.
            config.addDataSourceProperty("cache_size", String.valueOf(-READER_CACHE_KIB));
        }
        if (dialect == Dialect.POSTGRESQL) {
            config.addDataSourceProperty("ApplicationName", applicationName);
        }
        return new Database(new HikariDataSource(config), dialect, jdbcUrl, password, applicationName);
    }

    /** SQLite's group commit, for tests; null on PostgreSQL. */
    GroupCommit groupCommit() {
        return groupCommit;
    }

    public Dialect dialect() {
        return dialect;
    }

    /** What every transaction appending to or rewriting an agent's outbox reports to, and sessions send from. */
    public OutboxTails outboxTails() {
        return outboxTails;
    }

    /**
     * Applies pending migrations of this dialect; a no-op when the schema is current.
     *
     * @throws IllegalStateException when a newer Tether has migrated the database further than this one knows:
     *     running on would misread what that version wrote
     */
    public void migrate() {
        Flyway flyway = Flyway.configure()
                .dataSource(pool)
                .locations(dialect.migrationLocation())
                .load();
        refuseNewerSchema(flyway.info());
        flyway.migrate();
    }

    private static void refuseNewerSchema(MigrationInfoService info) {
        MigrationInfo newest = null;
        MigrationVersion known = MigrationVersion.EMPTY;
        for (MigrationInfo migration : info.all()) {
            if (migration.getState() == MigrationState.FUTURE_SUCCESS
                    || migration.getState() == MigrationState.FUTURE_FAILED) {
                newest = migration;
            } else if (migration.getVersion() != null && migration.getVersion().compareTo(known) > 0) {
                known = migration.getVersion();
            }
        }
        if (newest != null) {
            throw new IllegalStateException("the database's schema is at version " + newest.getVersion() + " ("
                    + newest.getDescription() + "), written by a newer Tether; this one knows up to version " + known
                    + ". Run that newer version, or restore a backup taken before the upgrade: this version would "
                    + "misread what the newer one stored");
        }
    }

    /**
     * Runs {@code work} in one transaction: committed when it returns, rolled back when it throws anything
     * (an {@code Error} included); the transaction rules of both databases are in {@link GroupCommit}'s and
     * {@link #attempt}'s Javadoc.
     * A transaction PostgreSQL aborted to break a deadlock runs again, up to {@link #ATTEMPTS} times
     * in all, so {@code work} must keep its effects inside the transaction. On SQLite, transactions of
     * concurrent callers share one commit ({@link GroupCommit}); each runs once, and when the database (not
     * the work) fails the caller gets a {@link StoreUnavailableException} saying whether anything was
     * committed. Never call it from inside {@code work}.
     */
    public <T> T inTransaction(String operation, SqlWork<T> work) {
        if (groupCommit != null) {
            return groupCommit.inTransaction(operation, work);
        }
        for (int attempt = 1; ; attempt++) {
            try {
                return attempt(operation, work);
            } catch (StoreException e) {
                if (attempt >= ATTEMPTS || !(e.getCause() instanceof SQLException sql) || !dialect.isRetryable(sql)) {
                    throw e;
                }
                LOG.debug("{}: conflict with a concurrent transaction, attempt {} of {}", operation, attempt,
                        ATTEMPTS);
                backOff(attempt);
            }
        }
    }

    /**
     * One PostgreSQL transaction. Whatever {@code work} throws, an {@code Error} too, is rolled back before it
     * propagates. A connection whose rollback failed is evicted from the pool rather than given back: its
     * transaction state is unknown, and restoring auto-commit on it would commit the partial work.
     */
    private <T> T attempt(String operation, SqlWork<T> work) {
        Connection connection;
        try {
            connection = pool.getConnection();
        } catch (SQLException e) {
            throw StoreUnavailableException.notCommitted(operation, "no database connection", e);
        }
        T result;
        try {
            connection.setAutoCommit(false);
            result = work.run(connection);
            connection.commit();
        } catch (SQLException e) {
            endFailed(connection, e);
            throw new StoreException(operation, e);
        } catch (RuntimeException | Error e) {
            endFailed(connection, e);
            throw e;
        }
        giveBack(connection);
        return result;
    }

    /** After a commit: a failure here changes nothing that was committed, so it is logged, not thrown. */
    private void giveBack(Connection connection) {
        try {
            connection.setAutoCommit(true);
            connection.close();
        } catch (SQLException | RuntimeException e) {
            LOG.warn("returning a connection to the pool after a commit failed; evicting it", e);
            pool.evictConnection(connection);
        }
    }

    /** Rolls a failed transaction back and returns the connection; evicts it when the rollback fails. */
    private void endFailed(Connection connection, Throwable failure) {
        try {
            connection.rollback();
            connection.setAutoCommit(true);
            connection.close();
        } catch (SQLException | RuntimeException | Error e) {
            failure.addSuppressed(e);
            LOG.warn("rolling back a failed transaction failed; evicting its connection", e);
            pool.evictConnection(connection);
        }
    }

    private static void backOff(int attempt) {
        try {
            Thread.sleep(ThreadLocalRandom.current().nextLong(1, 10L * attempt));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Runs {@code work} on an auto-commit connection: for reads and single statements. */
    public <T> T withConnection(String operation, SqlWork<T> work) {
        try (Connection connection = pool.getConnection()) {
            return work.run(connection);
        } catch (SQLException e) {
            throw new StoreException(operation, e);
        }
    }

    /**
     * A connection of its own, outside the pool, for a caller that keeps it (a LISTEN, a session-level
     * advisory lock); the caller closes it. Auto-commit.
     */
    public Connection openDedicated() throws SQLException {
        Properties properties = new Properties();
        if (password != null) {
            properties.setProperty("password", password);
        }
        if (dialect == Dialect.POSTGRESQL) {
            properties.setProperty("ApplicationName", applicationName);
        }
        return DriverManager.getConnection(jdbcUrl, properties);
    }

    /** Exports the connection pool's meters ({@code hikaricp_connections_active}, waits, timeouts...). */
    public void instrument(MeterRegistry registry) {
        pool.setMetricsTrackerFactory(new MicrometerMetricsTrackerFactory(registry));
    }

    /** Whether the database answers a trivial query within {@code timeout}. */
    public boolean ping(Duration timeout) {
        try (Connection connection = pool.getConnection()) {
            return connection.isValid((int) Math.max(1, timeout.toSeconds()));
        } catch (SQLException e) {
            return false;
        }
    }

    @Override
    public void close() {
        if (groupCommit != null) {
            groupCommit.close();
        }
        pool.close();
    }

    /** A unit of JDBC work. */
    @FunctionalInterface
    public interface SqlWork<T> {
        T run(Connection connection) throws SQLException;
    }
}
