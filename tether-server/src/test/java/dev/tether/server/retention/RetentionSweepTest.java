package dev.tether.server.retention;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tether.server.RetentionSettings;
import dev.tether.server.store.AgentStore;
import dev.tether.server.store.Database;
import dev.tether.server.testing.TestDatabase;
import java.nio.file.Path;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What is past its retention goes, in batches, and nothing else: not a newer row, not an unfinished command
 * however old, not what a retention of 0 keeps. Against a real database; subclasses pick which.
 */
abstract class RetentionSweepTest {

    static final long DAY = Duration.ofDays(1).toMillis();
    static final long NOW = 1_000 * DAY;

    @TempDir
    Path dir;
    Database db;
    String agentId;

    abstract TestDatabase database();

    @BeforeEach
    void openDatabase() {
        db = Database.open(database().freshJdbcUrl(dir), 4);
        db.migrate();
        agentId = new AgentStore(db).create("kept", Map.of(), "hash-kept", 1000).id();
    }

    @AfterEach
    void closeDatabase() {
        db.close();
    }

    private static RetentionSettings days(long events, long jobs, long audit) {
        return new RetentionSettings(Duration.ofDays(events), Duration.ofDays(jobs), Duration.ofDays(audit));
    }

    @Test
    void rowsPastTheirRetentionGoAndNewerOnesStay() {
        // 2,500 events 40 days old (more than two batches), then 10 from yesterday.
        insertEvents(1, 2_500, NOW - 40 * DAY);
        insertEvents(2_501, 10, NOW - DAY);
        insertCommand("cmd_old", NOW - 100 * DAY, NOW - 100 * DAY, 3);
        insertCommand("cmd_recent", NOW - 10 * DAY, NOW - 10 * DAY, 2);
        insertCommand("cmd_old_unfinished", NOW - 200 * DAY, null, 1);
        insertAudit(1_500, NOW - 400 * DAY);
        insertAudit(5, NOW - 2 * DAY);

        RetentionSweep.Deleted deleted = new RetentionSweep(db, days(30, 90, 365)).sweep(NOW);

        assertThat(deleted).isEqualTo(new RetentionSweep.Deleted(2_500, 1, 3, 1_500));
        assertThat(count("SELECT count(*) FROM agent_events")).isEqualTo(10);
        assertThat(count("SELECT min(agent_seq) FROM agent_events")).isEqualTo(2_501);
        assertThat(count("SELECT count(*) FROM commands WHERE id = 'cmd_old'")).isZero();
        assertThat(count("SELECT count(*) FROM jobs WHERE command_id = 'cmd_old'")).isZero();
        assertThat(count("SELECT count(*) FROM job_output WHERE job_id LIKE 'cmd_old-%'")).isZero();
        assertThat(count("SELECT count(*) FROM jobs WHERE command_id = 'cmd_recent'")).isEqualTo(2);
        assertThat(count("SELECT count(*) FROM job_output WHERE job_id LIKE 'cmd_recent-%'")).isEqualTo(2);
        assertThat(count("SELECT count(*) FROM jobs WHERE command_id = 'cmd_old_unfinished'"))
                .as("an unfinished command stays, however old").isEqualTo(1);
        assertThat(count("SELECT count(*) FROM audit_log")).isEqualTo(5);

        assertThat(new RetentionSweep(db, days(30, 90, 365)).sweep(NOW).any()).as("a second sweep").isFalse();
    }

    @Test
    void aRetentionOfZeroKeepsEverything() {
        insertEvents(1, 5, NOW - 900 * DAY);
        insertCommand("cmd_ancient", NOW - 900 * DAY, NOW - 900 * DAY, 1);
        insertAudit(5, NOW - 900 * DAY);

        RetentionSweep.Deleted deleted = new RetentionSweep(db, new RetentionSettings(Duration.ZERO, Duration.ZERO,
                Duration.ZERO)).sweep(NOW);

        assertThat(deleted.any()).isFalse();
        assertThat(count("SELECT count(*) FROM agent_events")).isEqualTo(5);
        assertThat(count("SELECT count(*) FROM commands")).isEqualTo(1);
        assertThat(count("SELECT count(*) FROM audit_log")).isEqualTo(5);
    }

    @Test
    void oneSweepDeletesABoundedAmountAndTheNextCarriesOn() {
        int many = RetentionSweep.BATCH * RetentionSweep.MAX_BATCHES + 300;
        insertAudit(many, NOW - 400 * DAY);

        RetentionSweep sweep = new RetentionSweep(db, days(30, 90, 365));

        assertThat(sweep.sweep(NOW).auditEntries()).isEqualTo(RetentionSweep.BATCH * RetentionSweep.MAX_BATCHES);
        assertThat(sweep.sweep(NOW).auditEntries()).isEqualTo(300);
        assertThat(count("SELECT count(*) FROM audit_log")).isZero();
    }

    private void insertEvents(long firstSeq, int count, long receivedAt) {
        db.inTransaction("insert events", connection -> {
            try (PreparedStatement insert = connection.prepareStatement("INSERT INTO agent_events (agent_id,"
                    + " agent_seq, type, payload, occurred_at, received_at) VALUES (?, ?, 'test', '{}', ?, ?)")) {
                for (int i = 0; i < count; i++) {
                    insert.setString(1, agentId);
                    insert.setLong(2, firstSeq + i);
                    insert.setLong(3, receivedAt);
                    insert.setLong(4, receivedAt);
                    insert.addBatch();
                }
                insert.executeBatch();
            }
            return null;
        });
    }

    /** A command with {@code jobs} jobs, each with one chunk of output; finished at {@code finishedAt} or not. */
    private void insertCommand(String id, long createdAt, Long finishedAt, int jobs) {
        db.inTransaction("insert command", connection -> {
            try (PreparedStatement insert = connection.prepareStatement("INSERT INTO commands (id, type, spec,"
                    + " target, created_by, created_at, state, finished_at) VALUES (?, 'exec', '{}', '{}', 'admin',"
                    + " ?, ?, ?)")) {
                insert.setString(1, id);
                insert.setLong(2, createdAt);
                insert.setString(3, finishedAt == null ? "running" : "completed");
                insert.setObject(4, finishedAt);
                insert.executeUpdate();
            }
            for (int i = 0; i < jobs; i++) {
                String job = id + "-" + i;
                try (PreparedStatement insert = connection.prepareStatement("INSERT INTO jobs (id, command_id,"
                        + " agent_id, position, state, created_at) VALUES (?, ?, ?, ?, ?, ?)")) {
                    insert.setString(1, job);
                    insert.setString(2, id);
                    insert.setString(3, agentId);
                    insert.setInt(4, i);
                    insert.setString(5, finishedAt == null ? "running" : "succeeded");
                    insert.setLong(6, createdAt);
                    insert.executeUpdate();
                }
                try (PreparedStatement insert = connection.prepareStatement("INSERT INTO job_output (job_id, idx,"
                        + " stream, byte_offset, data, created_at) VALUES (?, 0, 'stdout', 0, ?, ?)")) {
                    insert.setString(1, job);
                    insert.setBytes(2, "output\n".getBytes());
                    insert.setLong(3, createdAt);
                    insert.executeUpdate();
                }
            }
            return null;
        });
    }

    private void insertAudit(int count, long at) {
        db.inTransaction("insert audit", connection -> {
            try (PreparedStatement insert = connection.prepareStatement("INSERT INTO audit_log (at, actor, action,"
                    + " details) VALUES (?, 'admin', 'test.action', '{}')")) {
                for (int i = 0; i < count; i++) {
                    insert.setLong(1, at);
                    insert.addBatch();
                }
                insert.executeBatch();
            }
            return null;
        });
    }

    private long count(String sql) {
        return db.withConnection("count", connection -> {
            try (PreparedStatement query = connection.prepareStatement(sql); ResultSet row = query.executeQuery()) {
                row.next();
                return row.getLong(1);
            }
        });
    }
}
