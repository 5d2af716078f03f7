package dev.tether.server.retention;

import dev.tether.server.RetentionSettings;
import dev.tether.server.store.Database;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Deletes what is older than its retention ({@link RetentionSettings}): agents' events, finished commands with
 * their jobs and output, and the audit log. In batches of {@link #BATCH} rows, each its own short transaction, at
 * most {@link #MAX_BATCHES} per table a sweep, so a first sweep over years of rows neither holds a lock for long
 * nor delays the housekeeping it runs in: it catches up over the next sweeps.
 *
 * <p>Unfinished commands are never deleted, however old: their jobs may still run and report.
 *
 * <p>Thread safe as long as one sweep runs at a time (the housekeeper runs it, on one node of a cluster).
 */
public final class RetentionSweep {

    static final int BATCH = 1000;
    /** Commands per batch: each takes its jobs and their output with it. */
    static final int COMMAND_BATCH = 100;
    static final int MAX_BATCHES = 20;
    private static final Logger LOG = LoggerFactory.getLogger(RetentionSweep.class);

    private final Database db;
    private final RetentionSettings settings;

    public RetentionSweep(Database db, RetentionSettings settings) {
        this.db = db;
        this.settings = settings;
    }

    /** What one sweep deleted. */
    public record Deleted(int events, int commands, int jobs, int auditEntries) {

        public boolean any() {
            return events + commands + jobs + auditEntries > 0;
        }
    }

    /** Deletes up to {@link #MAX_BATCHES} batches of each kind that are past their retention at {@code nowMillis}. */
    public Deleted sweep(long nowMillis) {
        int events = repeat(settings.events(), nowMillis, this::eventBatch);
        int[] jobs = {0};
        int commands = repeat(settings.jobs(), nowMillis, cutoff -> commandBatch(cutoff, jobs));
        int audit = repeat(settings.audit(), nowMillis, this::auditBatch);
        Deleted deleted = new Deleted(events, commands, jobs[0], audit);
        if (deleted.any()) {
            LOG.info("retention: deleted {} agent events, {} finished commands with {} jobs, {} audit entries",
                    events, commands, jobs[0], audit);
        }
        return deleted;
    }

    private interface Batch {
        /** @return rows deleted; fewer than a full batch means nothing older is left */
        int run(long cutoffMillis);
    }

    private static int repeat(Duration retention, long nowMillis, Batch batch) {
        if (retention.isZero()) {
            return 0;
        }
        long cutoff = nowMillis - retention.toMillis();
        int total = 0;
        for (int i = 0; i < MAX_BATCHES; i++) {
            int deleted = batch.run(cutoff);
            total += deleted;
            if (deleted == 0) {
                break;
            }
        }
        return total;
    }

    /**
     * The oldest events by id, as far as they arrived before the cutoff. Ids grow with arrival, so this reads
     * the primary key from its start and stops at the first newer row, with no index on the arrival time (one
     * more index for every event written).
     */
    private int eventBatch(long cutoffMillis) {
        return db.inTransaction("delete old agent events", connection -> {
            long upTo = -1;
            try (PreparedStatement oldest = connection.prepareStatement(
                    "SELECT id, received_at FROM agent_events ORDER BY id LIMIT " + BATCH)) {
                try (ResultSet row = oldest.executeQuery()) {
                    while (row.next() && row.getLong(2) < cutoffMillis) {
                        upTo = row.getLong(1);
                    }
                }
            }
            if (upTo < 0) {
                return 0;
            }
            // The time again: an event whose id was taken before upTo's but committed since is new.
            try (PreparedStatement delete = connection.prepareStatement(
                    "DELETE FROM agent_events WHERE id <= ? AND received_at < ?")) {
                delete.setLong(1, upTo);
                delete.setLong(2, cutoffMillis);
                return delete.executeUpdate();
            }
        });
    }

    private int commandBatch(long cutoffMillis, int[] jobsDeleted) {
        return db.inTransaction("delete old commands", connection -> {
            List<String> ids = new ArrayList<>();
            try (PreparedStatement old = connection.prepareStatement("SELECT id FROM commands WHERE created_at < ?"
                    + " AND finished_at IS NOT NULL ORDER BY created_at, id LIMIT " + COMMAND_BATCH)) {
                old.setLong(1, cutoffMillis);
                try (ResultSet row = old.executeQuery()) {
                    while (row.next()) {
                        ids.add(row.getString(1));
                    }
                }
            }
            if (ids.isEmpty()) {
                return 0;
            }
            String in = " IN (" + "?, ".repeat(ids.size() - 1) + "?)";
            delete(connection, "DELETE FROM job_output WHERE job_id IN (SELECT id FROM jobs WHERE command_id" + in
                    + ")", ids);
            jobsDeleted[0] += delete(connection, "DELETE FROM jobs WHERE command_id" + in, ids);
            return delete(connection, "DELETE FROM commands WHERE id" + in, ids);
        });
    }

    private int auditBatch(long cutoffMillis) {
        return db.inTransaction("delete old audit entries", connection -> {
            try (PreparedStatement delete = connection.prepareStatement("DELETE FROM audit_log WHERE id IN"
                    + " (SELECT id FROM audit_log WHERE at < ? ORDER BY at, id LIMIT " + BATCH + ")")) {
                delete.setLong(1, cutoffMillis);
                return delete.executeUpdate();
            }
        });
    }

    private static int delete(Connection connection, String sql, List<String> ids) throws SQLException {
        try (PreparedStatement delete = connection.prepareStatement(sql)) {
            for (int i = 0; i < ids.size(); i++) {
                delete.setString(i + 1, ids.get(i));
            }
            return delete.executeUpdate();
        }
    }
}
