package dev.tether.server.dispatch;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tether.server.store.Database;
import dev.tether.server.testing.TestDatabase;
import java.nio.file.Path;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The reads an agent's every answer makes find its rows by an index, not by reading its job history. */
class JobQueryPlanTest {

    @TempDir
    Path dir;

    @Test
    void theUnacknowledgedJobsOfAnAgentAreFoundThroughItsUnfinishedJobs() {
        assertThat(plan(JobStore.UNACKNOWLEDGED)).singleElement().asString()
                .contains("USING INDEX jobs_unfinished (agent_id=?)");
    }

    @Test
    void aJobsReportReadsItByItsPrimaryKey() {
        assertThat(plan("SELECT " + JobHead.COLUMNS + " FROM jobs WHERE id = ?")).singleElement().asString()
                .contains("USING INDEX sqlite_autoindex_jobs_1 (id=?)");
    }

    private List<String> plan(String sql) {
        try (Database db = Database.open(TestDatabase.SQLITE.freshJdbcUrl(dir), 2)) {
            db.migrate();
            return db.withConnection("explain", connection -> {
                List<String> steps = new ArrayList<>();
                try (PreparedStatement explain = connection.prepareStatement("EXPLAIN QUERY PLAN " + sql)) {
                    for (int i = 1; i <= explain.getParameterMetaData().getParameterCount(); i++) {
                        explain.setString(i, "x");
                    }
                    try (ResultSet row = explain.executeQuery()) {
                        while (row.next()) {
                            steps.add(row.getString("detail"));
                        }
                    }
                }
                return steps;
            });
        }
    }
}
