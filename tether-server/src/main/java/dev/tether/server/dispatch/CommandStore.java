package dev.tether.server.dispatch;

import dev.tether.server.dispatch.CommandRecord.State;
import dev.tether.server.store.Database;
import dev.tether.server.store.Dialect;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Commands in {@code commands}, and the job counts the API shows with them.
 *
 * <p>Blocking; thread safe (state lives in the database).
 */
public final class CommandStore {

    private static final String COLUMNS = "id, type, spec, target, timeout_s, deadline_s, max_concurrency,"
            + " max_errors, created_by, created_at, state, finished_at";

    private final Database db;

    public CommandStore(Database db) {
        this.db = db;
    }

    public Optional<CommandRecord> find(String id) {
        return db.withConnection("find command", connection -> Optional.ofNullable(findIn(connection, id, "")));
    }

    /**
     * One page of commands, newest first.
     *
     * @param beforeId only commands created before this one, or from the newest when null
     * @throws DispatchException when {@code beforeId} names no command
     */
    public List<CommandRecord> page(int limit, String beforeId) {
        return db.withConnection("list commands", connection -> {
            String sql = "SELECT " + COLUMNS + " FROM commands";
            CommandRecord before = null;
            if (beforeId != null) {
                before = findIn(connection, beforeId, "");
                if (before == null) {
                    throw new DispatchException(DispatchException.Reason.NOT_FOUND, "no command '" + beforeId
                            + "' to page from: pass the next_before of the previous page");
                }
                sql += " WHERE created_at < ? OR (created_at = ? AND id < ?)";
            }
            try (PreparedStatement select = connection.prepareStatement(
                    sql + " ORDER BY created_at DESC, id DESC LIMIT ?")) {
                int index = 1;
                if (before != null) {
                    select.setLong(index++, before.createdAt());
                    select.setLong(index++, before.createdAt());
                    select.setString(index++, before.id());
                }
                select.setInt(index, limit);
                return readAll(select);
            }
        });
    }

    /** Job counts by state, for each of these commands (a state without jobs is absent). */
    public Map<String, Map<JobState, Long>> counts(List<String> commandIds) {
        if (commandIds.isEmpty()) {
            return Map.of();
        }
        return db.withConnection("count jobs", connection -> {
            Map<String, Map<JobState, Long>> counts = new HashMap<>();
            try (PreparedStatement select = connection.prepareStatement(
                    "SELECT command_id, state, COUNT(*) FROM jobs WHERE command_id IN ("
                            + "?, ".repeat(commandIds.size() - 1) + "?) GROUP BY command_id, state")) {
                for (int i = 0; i < commandIds.size(); i++) {
                    select.setString(i + 1, commandIds.get(i));
                }
                try (ResultSet row = select.executeQuery()) {
                    while (row.next()) {
                        counts.computeIfAbsent(row.getString(1), id -> new EnumMap<>(JobState.class))
                                .put(JobState.parse(row.getString(2)), row.getLong(3));
                    }
                }
            }
            return counts;
        });
    }

    /** The command's job counts by state, every state present, in the caller's transaction. */
    static Map<JobState, Long> countsIn(Connection connection, String commandId) throws SQLException {
        Map<JobState, Long> counts = new EnumMap<>(JobState.class);
        for (JobState state : JobState.values()) {
            counts.put(state, 0L);
        }
        try (PreparedStatement select = connection.prepareStatement(
                "SELECT state, COUNT(*) FROM jobs WHERE command_id = ? GROUP BY state")) {
            select.setString(1, commandId);
            try (ResultSet row = select.executeQuery()) {
                while (row.next()) {
                    counts.put(JobState.parse(row.getString(1)), row.getLong(2));
                }
            }
        }
        return counts;
    }

    /** Ids of commands with a job not final yet, oldest first, at most {@code limit}. */
    public List<String> unfinishedIds(int limit) {
        return db.withConnection("list unfinished commands", connection -> {
            try (PreparedStatement select = connection.prepareStatement(
                    "SELECT id FROM commands WHERE finished_at IS NULL ORDER BY created_at LIMIT ?")) {
                select.setInt(1, limit);
                List<String> ids = new ArrayList<>();
                try (ResultSet row = select.executeQuery()) {
                    while (row.next()) {
                        ids.add(row.getString(1));
                    }
                }
                return ids;
            }
        });
    }

    static void insertIn(Connection connection, CommandRecord command) throws SQLException {
        try (PreparedStatement insert = connection.prepareStatement("INSERT INTO commands (" + COLUMNS
                + ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")) {
            insert.setString(1, command.id());
            insert.setString(2, command.type());
            insert.setString(3, command.spec());
            insert.setString(4, command.target());
            insert.setLong(5, command.timeoutSeconds());
            insert.setLong(6, command.deadlineSeconds());
            insert.setInt(7, command.maxConcurrency());
            insert.setInt(8, command.maxErrors());
            insert.setString(9, command.createdBy());
            insert.setLong(10, command.createdAt());
            insert.setString(11, command.state().wire());
            NullableColumns.setLong(insert, 12, command.finishedAt());
            insert.executeUpdate();
        }
    }

    /** Reads the command and locks its row until the transaction ends; null when there is none. */
    static CommandRecord lockIn(Connection connection, Dialect dialect, String id) throws SQLException {
        return findIn(connection, id, dialect.forUpdate());
    }

    static void updateIn(Connection connection, String id, State state, Long finishedAt) throws SQLException {
        try (PreparedStatement update = connection.prepareStatement(
                "UPDATE commands SET state = ?, finished_at = ? WHERE id = ?")) {
            update.setString(1, state.wire());
            NullableColumns.setLong(update, 2, finishedAt);
            update.setString(3, id);
            update.executeUpdate();
        }
    }

    private static CommandRecord findIn(Connection connection, String id, String lock) throws SQLException {
        try (PreparedStatement select = connection.prepareStatement(
                "SELECT " + COLUMNS + " FROM commands WHERE id = ?" + lock)) {
            select.setString(1, id);
            List<CommandRecord> found = readAll(select);
            return found.isEmpty() ? null : found.get(0);
        }
    }

    private static List<CommandRecord> readAll(PreparedStatement select) throws SQLException {
        List<CommandRecord> commands = new ArrayList<>();
        try (ResultSet row = select.executeQuery()) {
            while (row.next()) {
                commands.add(new CommandRecord(row.getString(1), row.getString(2), row.getString(3),
                        row.getString(4), row.getLong(5), row.getLong(6), row.getInt(7), row.getInt(8),
                        row.getString(9), row.getLong(10), State.parse(row.getString(11)),
                        NullableColumns.getLong(row, 12)));
            }
        }
        return commands;
    }
}
