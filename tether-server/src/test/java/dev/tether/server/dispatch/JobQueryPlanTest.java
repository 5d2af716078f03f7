package dev.tether.server.dispatch;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tether.server.store.Database;
import dev.tether.server.testing.TestDatabase;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The reads an agent's every answer makes find its rows by an index, not by reading its job history. */
class JobQueryPlanTest {

    /** Finished jobs of the agent whose acks are read: what a scan of its history would go through. */
    private static final int HISTORY = 4_000;

    @TempDir
    Path dir;

    @Test
    void theUnacknowledgedJobsOfAnAgentAreFoundThroughItsUnfinishedJobs() {
        assertThat(sqlitePlan(JobStore.UNACKNOWLEDGED, false)).singleElement().asString()
                .contains("USING INDEX jobs_unfinished (agent_id=?)");
    }

    /** SQLite's planner with statistics ({@code ANALYZE}) of an agent with a long history keeps the same index. */
    @Test
    void theUnacknowledgedJobsOfAnAgentWithALongHistoryAreFoundThroughItsUnfinishedJobsOnSqlite() {
        assertThat(sqlitePlan(JobStore.UNACKNOWLEDGED, true)).singleElement().asString()
                .contains("USING INDEX jobs_unfinished (agent_id=?)");
    }

    /** PostgreSQL's planner, with statistics of the same history, goes through the partial index too. */
    @Test
    void theUnacknowledgedJobsOfAnAgentWithALongHistoryAreFoundThroughItsUnfinishedJobsOnPostgresql() {
        String sql = JobStore.UNACKNOWLEDGED.replaceFirst("agent_id = \\?", "agent_id = 'agent_1'")
                .replaceFirst("outbox_seq <= \\?", "outbox_seq <= 10");
        List<String> plan = explain(TestDatabase.POSTGRESQL, true, "EXPLAIN " + sql, "QUERY PLAN");

        assertThat(String.join("\n", plan)).contains("jobs_unfinished").doesNotContain("Seq Scan")
                .doesNotContain("jobs_agent");
    }

    @Test
    void aJobsReportReadsItByItsPrimaryKey() {
        assertThat(sqlitePlan("SELECT " + JobHead.COLUMNS + " FROM jobs WHERE id = ?", false)).singleElement()
                .asString().contains("USING INDEX sqlite_autoindex_jobs_1 (id=?)");
    }

    private List<String> sqlitePlan(String sql, boolean history) {
        return explain(TestDatabase.SQLITE, history, "EXPLAIN QUERY PLAN " + sql, "detail");
    }

    private List<String> explain(TestDatabase kind, boolean history, String explain, String column) {
        try (Database db = Database.open(kind.freshJdbcUrl(dir), 2)) {
            db.migrate();
            if (history) {
                db.inTransaction("store a job history", connection -> {
                    storeHistory(connection);
                    return null;
                });
                db.withConnection("analyze", connection -> {
                    try (Statement analyze = connection.createStatement()) {
                        analyze.execute("ANALYZE");
                    }
                    return null;
                });
            }
            return db.withConnection("explain", connection -> {
                List<String> steps = new ArrayList<>();
                try (PreparedStatement statement = connection.prepareStatement(explain)) {
                    for (int i = 1; i <= statement.getParameterMetaData().getParameterCount(); i++) {
                        statement.setString(i, "x");
                    }
                    try (ResultSet row = statement.executeQuery()) {
                        while (row.next()) {
                            steps.add(row.getString(column));
                        }
                    }
                }
                return steps;
            });
        }
    }

    /**
     * Twenty agents, each with finished jobs ({@link #HISTORY} for {@code agent_1}, 200 for the others) and three
     * sent and not acknowledged.
     */
    private static void storeHistory(Connection connection) throws SQLException {
        try (PreparedStatement agent = connection.prepareStatement(
                "INSERT INTO agents (id, name, key_hash, created_at) VALUES (?, ?, ?, 0)")) {
            for (int a = 0; a < 20; a++) {
                agent.setString(1, "agent_" + a);
                agent.setString(2, "host-" + a);
                agent.setString(3, "hash-" + a);
                agent.addBatch();
            }
            agent.executeBatch();
        }
        try (Statement command = connection.createStatement()) {
            command.execute("INSERT INTO commands (id, type, spec, target, created_by, created_at, state) "
                    + "VALUES ('cmd_1', 'exec', '{}', '{}', 'test', 0, 'running')");
        }
        try (PreparedStatement job = connection.prepareStatement("INSERT INTO jobs (id, command_id, agent_id, "
                + "position, state, outbox_seq, created_at) VALUES (?, 'cmd_1', ?, ?, ?, ?, ?)")) {
            int position = 0;
            for (int a = 0; a < 20; a++) {
                int finished = a == 1 ? HISTORY : 200;
                for (int j = 0; j < finished + 3; j++) {
                    boolean pending = j >= finished;
                    job.setString(1, "job_" + position);
                    job.setString(2, "agent_" + a);
                    job.setInt(3, position++);
                    job.setString(4, pending ? "queued" : "succeeded");
                    job.setLong(5, j + 1);
                    job.setLong(6, j);
                    job.addBatch();
                }
            }
            job.executeBatch();
        }
    }
}
