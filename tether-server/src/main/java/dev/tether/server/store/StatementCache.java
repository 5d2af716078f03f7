package dev.tether.server.store;

import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The group-commit writer's prepared statements, kept across transactions. Every member of a group prepares
 * its statements afresh ({@code connection.prepareStatement(sql)} in a try-with-resources), and on SQLite
 * preparing is a parse and a plan each time: under a fan-out's answers (10,000 agents, each turn a job
 * lookup, a state change, an event, an acknowledgement) it was a quarter of the writer's work. Here the
 * {@link #connection() connection} handed to the members keeps a prepared statement per SQL text; a member's
 * {@code close()} gives it back (its parameters and batch cleared; the member closed its result set, which
 * resets the SQLite statement) instead of finalising it.
 *
 * <p>A statement is handed out to one user at a time: asking again for a SQL text whose statement is still
 * open (a nested query of the same text) prepares a plain one, closed as usual. At most {@link #CAPACITY}
 * are kept; beyond, the least recently used statement not in use is finalised. A statement that fails to
 * reset is finalised rather than kept. Only {@code prepareStatement(String)} is cached; every other call goes
 * to the connection itself.
 *
 * <p>Not thread safe: owned by the writer thread, like the connection it wraps. {@link #close} before the
 * connection is closed or evicted.
 */
final class StatementCache implements AutoCloseable {

    /** Statements kept at most; a fan-out's multi-row statements and the agents' turns need a few dozen. */
    static final int CAPACITY = 256;
    private static final Logger LOG = LoggerFactory.getLogger(StatementCache.class);

    private final Connection connection;
    private final Connection caching;
    /** Kept statements by SQL text, least recently used first. */
    private final LinkedHashMap<String, Kept> kept = new LinkedHashMap<>(64, 0.75f, true);

    StatementCache(Connection connection) {
        this.connection = connection;
        this.caching = (Connection) Proxy.newProxyInstance(Connection.class.getClassLoader(),
                new Class<?>[] {Connection.class}, this::onConnection);
    }

    /** The connection to hand to a transaction's work: the real one, whose statements are kept. */
    Connection connection() {
        return caching;
    }

    /** Statements kept now (in use or not). */
    int size() {
        return kept.size();
    }

    private Object onConnection(Object proxy, Method method, Object[] args) throws Throwable {
        if (method.getName().equals("prepareStatement") && args.length == 1 && args[0] instanceof String sql) {
            return prepare(sql);
        }
        return invoke(connection, method, args);
    }

    private PreparedStatement prepare(String sql) throws SQLException {
        Kept statement = kept.get(sql);
        if (statement != null && statement.inUse) {
            return connection.prepareStatement(sql);
        }
        if (statement == null) {
            statement = new Kept(sql, connection.prepareStatement(sql));
            kept.put(sql, statement);
            trim();
        }
        statement.inUse = true;
        return statement.handle;
    }

    /** Finalises the least recently used statements not in use while more than {@link #CAPACITY} are kept. */
    private void trim() {
        Iterator<Map.Entry<String, Kept>> oldestFirst = kept.entrySet().iterator();
        while (kept.size() > CAPACITY && oldestFirst.hasNext()) {
            Kept statement = oldestFirst.next().getValue();
            if (!statement.inUse) {
                oldestFirst.remove();
                statement.finish();
            }
        }
    }

    /** Finalises every kept statement. */
    @Override
    public void close() {
        kept.values().forEach(Kept::finish);
        kept.clear();
    }

    private static Object invoke(Object target, Method method, Object[] args) throws Throwable {
        try {
            return method.invoke(target, args);
        } catch (InvocationTargetException e) {
            throw e.getCause();
        }
    }

    /** One kept statement and the handle its users get, whose {@code close()} gives it back. */
    private final class Kept {
        final String sql;
        final PreparedStatement statement;
        final PreparedStatement handle;
        /** Between a {@link #prepare} that handed it out and the user's {@code close()}. */
        boolean inUse;

        Kept(String sql, PreparedStatement statement) {
            this.sql = sql;
            this.statement = statement;
            this.handle = (PreparedStatement) Proxy.newProxyInstance(PreparedStatement.class.getClassLoader(),
                    new Class<?>[] {PreparedStatement.class}, this::onStatement);
        }

        private Object onStatement(Object proxy, Method method, Object[] args) throws Throwable {
            switch (method.getName()) {
                case "close" -> {
                    giveBack();
                    return null;
                }
                case "isClosed" -> {
                    return !inUse;
                }
                case "getConnection" -> {
                    return caching;
                }
                default -> {
                    if (!inUse) {
                        throw new SQLException("statement is closed: " + sql);
                    }
                    return invoke(statement, method, args);
                }
            }
        }

        /** The user closed it: reset it for the next one, or finalise it when that fails. */
        private void giveBack() {
            if (!inUse) {
                return;
            }
            inUse = false;
            try {
                // Its users close their result sets (try-with-resources), which resets the SQLite statement,
                // so no read stays open past the commit; what is left to clear is what was bound.
                statement.clearBatch();
                statement.clearParameters();
            } catch (SQLException | RuntimeException e) {
                LOG.debug("database writer: a kept statement did not reset; finalising it", e);
                kept.remove(sql, this);
                finish();
            }
        }

        void finish() {
            try {
                statement.close();
            } catch (SQLException | RuntimeException e) {
                LOG.debug("database writer: finalising a kept statement", e);
            }
        }
    }
}
