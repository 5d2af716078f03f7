package dev.tether.server.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The writer's kept statements, on a real SQLite file: reuse never carries a value or a row over. */
class StatementCacheTest {

    private static final String INSERT = "INSERT INTO t (k, v) VALUES (?, ?)";
    private static final String SELECT = "SELECT v FROM t WHERE k = ?";

    @TempDir
    Path dir;

    private Connection raw;
    private StatementCache cache;
    private Connection connection;

    @BeforeEach
    void open() throws SQLException {
        raw = DriverManager.getConnection("jdbc:sqlite:" + dir.resolve("cache.db"));
        try (Statement create = raw.createStatement()) {
            create.execute("CREATE TABLE t (k INTEGER NOT NULL PRIMARY KEY, v TEXT)");
        }
        cache = new StatementCache(raw);
        connection = cache.connection();
    }

    @AfterEach
    void close() throws SQLException {
        cache.close();
        raw.close();
    }

    @Test
    void aKeptStatementIsReusedWithoutItsParametersCarryingOver() throws SQLException {
        insert(1, "one");
        try (PreparedStatement insert = connection.prepareStatement(INSERT)) {
            insert.setLong(1, 2);
            // v left unbound: the kept statement must not reuse "one".
            insert.executeUpdate();
        }
        assertThat(select(1)).isEqualTo("one");
        assertThat(select(2)).isNull();
        assertThat(cache.size()).isEqualTo(2);
    }

    @Test
    void theSameTextAskedForWhileOpenGetsItsOwnStatement() throws SQLException {
        insert(1, "one");
        insert(2, "two");
        try (PreparedStatement outer = connection.prepareStatement(SELECT)) {
            outer.setLong(1, 1);
            try (ResultSet outerRow = outer.executeQuery()) {
                assertThat(select(2)).isEqualTo("two");
                assertThat(outerRow.next()).isTrue();
                assertThat(outerRow.getString(1)).isEqualTo("one");
            }
        }
        assertThat(select(1)).isEqualTo("one");
    }

    @Test
    void aStatementThatFailedIsUsableAgain() throws SQLException {
        insert(1, "one");
        assertThatThrownBy(() -> insert(1, "again")).isInstanceOf(SQLException.class);
        insert(3, "three");
        assertThat(select(1)).isEqualTo("one");
        assertThat(select(3)).isEqualTo("three");
    }

    @Test
    void aGivenBackHandleRefusesUse() throws SQLException {
        PreparedStatement select = connection.prepareStatement(SELECT);
        select.close();
        assertThat(select.isClosed()).isTrue();
        assertThatThrownBy(() -> select.setLong(1, 1)).isInstanceOf(SQLException.class)
                .hasMessageContaining("closed");
    }

    @Test
    void beyondItsCapacityItFinalisesOnlyStatementsNotInUse() throws SQLException {
        insert(1, "one");
        try (PreparedStatement held = connection.prepareStatement(SELECT)) {
            List<String> texts = new ArrayList<>();
            for (int i = 0; i < StatementCache.CAPACITY + 20; i++) {
                texts.add("SELECT v, " + i + " FROM t WHERE k = ?");
            }
            for (String text : texts) {
                try (PreparedStatement other = connection.prepareStatement(text)) {
                    other.setLong(1, 1);
                    try (ResultSet row = other.executeQuery()) {
                        assertThat(row.next()).isTrue();
                    }
                }
            }
            assertThat(cache.size()).isLessThanOrEqualTo(StatementCache.CAPACITY);
            held.setLong(1, 1);
            try (ResultSet row = held.executeQuery()) {
                assertThat(row.next()).isTrue();
                assertThat(row.getString(1)).isEqualTo("one");
            }
        }
    }

    private void insert(long k, String v) throws SQLException {
        try (PreparedStatement insert = connection.prepareStatement(INSERT)) {
            insert.setLong(1, k);
            insert.setString(2, v);
            insert.executeUpdate();
        }
    }

    private String select(long k) throws SQLException {
        try (PreparedStatement select = connection.prepareStatement(SELECT)) {
            select.setLong(1, k);
            try (ResultSet row = select.executeQuery()) {
                return row.next() ? row.getString(1) : null;
            }
        }
    }
}
