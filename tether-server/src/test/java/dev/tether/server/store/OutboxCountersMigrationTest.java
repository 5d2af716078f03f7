package dev.tether.server.store;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tether.protocol.v1.ConfigUpdate;
import dev.tether.protocol.v1.Envelope;
import dev.tether.server.testing.TestDatabase;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.List;
import java.util.Map;
import org.flywaydb.core.Flyway;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Version 14 moves each agent's outbox counter out of the agent row into {@code outbox_counters}: a database of
 * version 13 with agents, pending payloads and a command in it keeps every counter, so no seq is assigned twice
 * and nothing pending is lost or renumbered.
 */
class OutboxCountersMigrationTest {

    @TempDir
    Path dir;

    @ParameterizedTest
    @EnumSource(TestDatabase.class)
    void countersOfADatabaseInUseCarryOverAndAppendsContinueAfterThem(TestDatabase database) throws SQLException {
        String url = database.freshJdbcUrl(dir);
        Dialect dialect = Dialect.of(url);
        Flyway.configure().dataSource(url, null, null).locations(dialect.migrationLocation()).target("13").load()
                .migrate();
        try (Connection connection = DriverManager.getConnection(url)) {
            // As version 13 left them: agent "busy" assigned seqs up to 5, the agent acknowledged 3.
            execute(connection, "INSERT INTO agents (id, name, key_hash, created_at, out_seq, out_acked_seq)"
                    + " VALUES ('busy', 'busy', 'hash-busy', 1000, 5, 3), ('idle', 'idle', 'hash-idle', 1000, 0, 0)");
            insertPending(connection, 4);
            insertPending(connection, 5);
            execute(connection, "INSERT INTO commands (id, type, spec, target, created_by, created_at, state)"
                    + " VALUES ('cmd', 'exec', '{}', '{}', 'admin', 1000, 'running')");
            execute(connection, "INSERT INTO jobs (id, command_id, agent_id, position, state, outbox_seq, created_at)"
                    + " VALUES ('job', 'cmd', 'busy', 0, 'queued', 5, 1000)");
        }

        try (Database db = Database.open(url, 2)) {
            db.migrate();

            ServerOutbox busy = new ServerOutbox(db, "busy");
            assertThat(busy.lastSeq()).isEqualTo(5);
            assertThat(busy.firstPendingSeq()).isEqualTo(4);
            assertThat(busy.read(4, 10)).extracting(Envelope::getSeq).containsExactly(4L, 5L);
            assertThat(busy.append(List.of(config(6)))).extracting(Envelope::getSeq).containsExactly(6L);
            assertThat(new ServerOutbox(db, "idle").append(List.of(config(1)))).extracting(Envelope::getSeq)
                    .containsExactly(1L);
            String fresh = new AgentStore(db).create("fresh", Map.of(), "hash-fresh", 2000).id();
            assertThat(new ServerOutbox(db, fresh).lastSeq()).isZero();
            assertThat(new ServerOutbox(db, fresh).append(List.of(config(1)))).extracting(Envelope::getSeq)
                    .containsExactly(1L);
            long jobSeq = db.withConnection("job", connection -> longAt(connection,
                    "SELECT outbox_seq FROM jobs WHERE id = 'job'"));
            assertThat(jobSeq).isEqualTo(5);
        }
    }

    private static void insertPending(Connection connection, long seq) throws SQLException {
        try (PreparedStatement insert = connection.prepareStatement("INSERT INTO outbox (agent_id, seq, envelope,"
                + " created_at, stamp) VALUES ('busy', ?, ?, 1000, ?)")) {
            insert.setLong(1, seq);
            insert.setBytes(2, config(seq).toBuilder().setSeq(seq).setStamp(seq * 7).build().toByteArray());
            insert.setLong(3, seq * 7);
            insert.executeUpdate();
        }
    }

    private static Envelope config(long version) {
        return Envelope.newBuilder().setConfigUpdate(ConfigUpdate.newBuilder().setVersion(version)).build();
    }

    private static void execute(Connection connection, String sql) throws SQLException {
        try (PreparedStatement statement = connection.prepareStatement(sql)) {
            statement.executeUpdate();
        }
    }

    private static long longAt(Connection connection, String sql) throws SQLException {
        try (PreparedStatement select = connection.prepareStatement(sql); ResultSet row = select.executeQuery()) {
            row.next();
            return row.getLong(1);
        }
    }
}
