package dev.tether.server.store;

import java.sql.SQLException;
import java.util.Locale;
import org.sqlite.SQLiteErrorCode;
import org.sqlite.SQLiteException;

/** The two databases the server runs on, and what differs between them. */
public enum Dialect {
    SQLITE("jdbc:sqlite:", "classpath:db/sqlite"),
    POSTGRESQL("jdbc:postgresql:", "classpath:db/postgresql");

    /** SQLSTATE of a unique constraint violation, in PostgreSQL and the SQL standard. */
    private static final String UNIQUE_VIOLATION = "23505";
    /** SQLSTATEs of a transaction PostgreSQL aborted to break a deadlock or a serialization conflict. */
    private static final String DEADLOCK_DETECTED = "40P01";
    private static final String SERIALIZATION_FAILURE = "40001";

    private final String urlPrefix;
    private final String migrations;

    Dialect(String urlPrefix, String migrations) {
        this.urlPrefix = urlPrefix;
        this.migrations = migrations;
    }

    /**
     * The dialect of a JDBC URL.
     *
     * @throws IllegalArgumentException for any other database
     */
    public static Dialect of(String jdbcUrl) {
        String lower = jdbcUrl.toLowerCase(Locale.ROOT);
        for (Dialect dialect : values()) {
            if (lower.startsWith(dialect.urlPrefix)) {
                return dialect;
            }
        }
        throw new IllegalArgumentException("unsupported database URL " + redact(jdbcUrl)
                + ": use jdbc:postgresql://host:port/database, or leave it unset for SQLite in the data dir");
    }

    /** Flyway location of this dialect's versioned migrations. */
    String migrationLocation() {
        return migrations;
    }

    /** Whether the exception is a violated UNIQUE constraint. */
    public boolean isUniqueViolation(SQLException e) {
        if (this == SQLITE) {
            return e instanceof SQLiteException sqlite
                    && sqlite.getResultCode() == SQLiteErrorCode.SQLITE_CONSTRAINT_UNIQUE;
        }
        return UNIQUE_VIOLATION.equals(e.getSQLState());
    }

    /**
     * Whether the transaction failed only because the database aborted it to resolve a conflict with
     * another one (PostgreSQL deadlock or serialization failure): running it again may succeed.
     * SQLite never needs this: its writers take the database lock up front.
     */
    public boolean isRetryable(SQLException e) {
        return this == POSTGRESQL
                && (DEADLOCK_DETECTED.equals(e.getSQLState()) || SERIALIZATION_FAILURE.equals(e.getSQLState()));
    }

    /**
     * The clause that makes a SELECT lock the rows it reads until the transaction ends: {@code FOR UPDATE}
     * on PostgreSQL; nothing on SQLite, whose {@code BEGIN IMMEDIATE} transactions already hold the
     * database's write lock.
     */
    public String forUpdate() {
        return this == POSTGRESQL ? " FOR UPDATE" : "";
    }

    /** As {@link #forUpdate}, passing over rows another transaction holds (PostgreSQL). */
    public String forUpdateSkipLocked() {
        return this == POSTGRESQL ? " FOR UPDATE SKIP LOCKED" : "";
    }

    /**
     * An SQL expression for the database's clock in epoch millis: leases between nodes are compared on this one
     * clock, so nodes whose clocks drift apart still agree on which lease expired.
     */
    public String nowMillis() {
        return this == POSTGRESQL ? "CAST(EXTRACT(EPOCH FROM clock_timestamp()) * 1000 AS BIGINT)"
                : "CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)";
    }

    /**
     * An SQL expression for the text value of one key of a JSON object column (labels are stored as JSON text
     * on both databases), null when the key is absent; its one parameter is {@link #jsonKey}.
     */
    public String jsonText(String column) {
        return this == POSTGRESQL ? "(CAST(" + column + " AS jsonb) ->> ?)" : "json_extract(" + column + ", ?)";
    }

    /**
     * The parameter of {@link #jsonText} for {@code key}: the key itself on PostgreSQL, a JSON path on SQLite.
     * Label keys hold only A-Z a-z 0-9 . _ / -, never a quote, so the quoted path needs no escaping.
     */
    public String jsonKey(String key) {
        return this == POSTGRESQL ? key : "$.\"" + key + "\"";
    }

    /** A JDBC URL safe to log: password parameters are masked. */
    public static String redact(String jdbcUrl) {
        return jdbcUrl.replaceAll("(?i)(password=)[^&;]*", "$1***");
    }
}
