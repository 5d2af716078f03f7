package dev.tether.server.gateway;

import io.vertx.core.json.DecodeException;
import java.sql.SQLException;
import java.util.Set;
import org.sqlite.SQLiteErrorCode;
import org.sqlite.SQLiteException;

/**
 * Tells a payload that cannot be applied from a server that cannot apply
 * anything right now. Only the first kind counts towards quarantine: a
 * database outage, a timeout, a full disk or a conflict with a concurrent
 * transaction must leave every payload to be replayed, never quarantined.
 *
 * <p>Caused by the payload: a database refusing the data itself (PostgreSQL
 * SQLSTATE class {@code 22} data exception or {@code 23} integrity constraint
 * violation; SQLite {@code TOOBIG}, {@code CONSTRAINT} or {@code MISMATCH}),
 * or the applying code refusing it ({@link IllegalArgumentException},
 * {@link DecodeException}). Everything else (connections, timeouts, locks,
 * I/O, resources, a bug in our SQL) is the server's and is never counted.
 *
 * <p>Stateless.
 */
final class ApplyFailures {

    private static final Set<String> PAYLOAD_SQL_STATE_CLASSES = Set.of("22", "23");
    private static final Set<SQLiteErrorCode> PAYLOAD_SQLITE_CODES = Set.of(SQLiteErrorCode.SQLITE_TOOBIG,
            SQLiteErrorCode.SQLITE_CONSTRAINT, SQLiteErrorCode.SQLITE_MISMATCH);

    private ApplyFailures() {
    }

    /** Whether {@code failure} (as thrown by the apply transaction) is the payload's fault. */
    static boolean causedByPayload(Throwable failure) {
        for (Throwable cause = failure; cause != null; cause = cause.getCause()) {
            if (cause instanceof SQLException sql) {
                return refusedData(sql);
            }
            if (cause instanceof IllegalArgumentException || cause instanceof DecodeException) {
                return true;
            }
        }
        return false;
    }

    private static boolean refusedData(SQLException sql) {
        if (sql instanceof SQLiteException sqlite) {
            return PAYLOAD_SQLITE_CODES.contains(primary(sqlite.getResultCode()));
        }
        String state = sql.getSQLState();
        return state != null && state.length() == 5 && PAYLOAD_SQL_STATE_CLASSES.contains(state.substring(0, 2));
    }

    /** Extended result codes (e.g. {@code SQLITE_CONSTRAINT_CHECK}) carry the primary code in their low byte. */
    private static SQLiteErrorCode primary(SQLiteErrorCode code) {
        return SQLiteErrorCode.getErrorCode(code.code & 0xff);
    }
}
