package dev.tether.server.store;

import dev.tether.protocol.Stamps;
import dev.tether.protocol.v1.Envelope;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * Appends envelopes to the outboxes of many agents in the caller's transaction with a few multi-row statements
 * instead of two per envelope: a command to 10,000 agents takes their seqs with ten {@code UPDATE … RETURNING}
 * of {@link MultiRow#MAX_ROWS} agents each (on the narrow {@code outbox_counters}, not the wide agent rows)
 * and inserts its rows with ten {@code INSERT}s. The rows are those {@link ServerOutbox} documents.
 *
 * <p>Agents' counters are taken in agent id order (on PostgreSQL explicitly, {@code FOR UPDATE} ordered by the
 * id's bytes, which is Java's {@code String} order for the ASCII ids agents have), the order every transaction
 * that writes many agents' rows takes them in, so two of them never wait for each other in a cycle. Several
 * envelopes for one agent get consecutive seqs in the order given.
 *
 * <p>Not thread safe: owned by the thread running the transaction; close it before the transaction ends.
 */
public final class OutboxAppender implements AutoCloseable {


    private final Connection connection;
    private final Dialect dialect;
    private final OutboxTails.Appends appends;
    /**
     * Prepared statements by kind and row count (the few sizes of {@link MultiRow}; 5 parameters a row, far
     * below SQLite's 32,766 and PostgreSQL's 65,535).
     */
    private final Map<String, PreparedStatement> statements = new HashMap<>();

    /** @param appends told of every envelope appended, while the agent's counter is held */
    public OutboxAppender(Connection connection, Dialect dialect, OutboxTails.Appends appends) {
        this.connection = connection;
        this.dialect = dialect;
        this.appends = appends;
    }

    /** An envelope (payload set, seq unset) for one agent's outbox. */
    public record Addressed(String agentId, Envelope envelope) {
    }

    /**
     * Appends each envelope to its agent's outbox.
     *
     * @return the envelopes as stored, with their seqs and stamps, in the order given
     * @throws SQLException when an agent does not exist (the transaction must roll back)
     */
    public List<Envelope> appendAll(List<Addressed> items, long nowMillis) throws SQLException {
        List<Envelope> stored = new ArrayList<>(items.size());
        for (int i = 0; i < items.size(); i++) {
            stored.add(null);
        }
        // Round r takes one seq from each agent with more than r envelopes, so an agent is named once per statement.
        for (List<Integer> round : rounds(items)) {
            Map<String, Long> seqs = takeSeqs(round.stream().map(i -> items.get(i).agentId()).toList());
            for (int index : round) {
                Addressed item = items.get(index);
                stored.set(index, item.envelope().toBuilder().setSeq(seqs.get(item.agentId()))
                        .setStamp(Stamps.draw()).build());
            }
        }
        insert(items, stored, nowMillis);
        for (int i = 0; i < items.size(); i++) {
            appends.appended(items.get(i).agentId(), stored.get(i));
        }
        return stored;
    }

    /** Item indices by round: round r holds each agent's (r+1)-th envelope. */
    private static List<List<Integer>> rounds(List<Addressed> items) {
        Map<String, Integer> seen = new HashMap<>();
        List<List<Integer>> rounds = new ArrayList<>();
        for (int i = 0; i < items.size(); i++) {
            int round = seen.merge(items.get(i).agentId(), 1, Integer::sum) - 1;
            if (round == rounds.size()) {
                rounds.add(new ArrayList<>());
            }
            rounds.get(round).add(i);
        }
        return rounds;
    }

    /** Moves each (distinct) agent's counter on by one, in id order; @return the new seq by agent */
    private Map<String, Long> takeSeqs(List<String> agentIds) throws SQLException {
        List<String> inLockOrder = new ArrayList<>(new TreeSet<>(agentIds));
        Map<String, Long> seqs = new HashMap<>(inLockOrder.size() * 2);
        for (int from = 0; from < inLockOrder.size(); ) {
            List<String> chunk = inLockOrder.subList(from, from + MultiRow.chunk(inLockOrder.size() - from));
            from += chunk.size();
            PreparedStatement bump = statement("bump", chunk.size());
            for (int i = 0; i < chunk.size(); i++) {
                bump.setString(i + 1, chunk.get(i));
            }
            try (ResultSet row = bump.executeQuery()) {
                while (row.next()) {
                    seqs.put(row.getString(1), row.getLong(2));
                }
            }
            for (String agentId : chunk) {
                if (!seqs.containsKey(agentId)) {
                    throw new SQLException("no agent " + agentId + " to append to");
                }
            }
        }
        return seqs;
    }

    private void insert(List<Addressed> items, List<Envelope> stored, long nowMillis) throws SQLException {
        for (int from = 0, to; from < items.size(); from = to) {
            to = from + MultiRow.chunk(items.size() - from);
            PreparedStatement insert = statement("insert", to - from);
            int index = 1;
            for (int i = from; i < to; i++) {
                Envelope envelope = stored.get(i);
                insert.setString(index++, items.get(i).agentId());
                insert.setLong(index++, envelope.getSeq());
                insert.setBytes(index++, envelope.toByteArray());
                insert.setLong(index++, nowMillis);
                insert.setLong(index++, envelope.getStamp());
            }
            insert.executeUpdate();
        }
    }

    private PreparedStatement statement(String kind, int rows) throws SQLException {
        String key = kind + rows;
        PreparedStatement statement = statements.get(key);
        if (statement == null) {
            statement = connection.prepareStatement(kind.equals("bump") ? bumpSql(rows) : insertSql(rows));
            statements.put(key, statement);
        }
        return statement;
    }

    private String bumpSql(int agents) {
        String ids = "?, ".repeat(agents - 1) + "?";
        String locked = dialect == Dialect.POSTGRESQL ? "SELECT agent_id FROM outbox_counters WHERE agent_id IN ("
                + ids + ") ORDER BY agent_id COLLATE \"C\" FOR UPDATE" : ids;
        return "UPDATE outbox_counters SET out_seq = out_seq + 1 WHERE agent_id IN (" + locked + ")"
                + " RETURNING agent_id, out_seq";
    }

    private static String insertSql(int rows) {
        return "INSERT INTO outbox (agent_id, seq, envelope, created_at, stamp) VALUES "
                + "(?, ?, ?, ?, ?), ".repeat(rows - 1) + "(?, ?, ?, ?, ?)";
    }

    @Override
    public void close() throws SQLException {
        SQLException failure = null;
        for (PreparedStatement statement : statements.values()) {
            try {
                statement.close();
            } catch (SQLException e) {
                failure = failure == null ? e : failure;
            }
        }
        if (failure != null) {
            throw failure;
        }
    }
}
