package dev.tether.server.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.tether.protocol.CloseCodes;
import dev.tether.server.testing.Api;
import dev.tether.server.testing.TestAgent;
import dev.tether.server.testing.TestDatabase;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class PostgresPoisonPayloadTest extends PoisonPayloadTest {

    @Override
    TestDatabase database() {
        return TestDatabase.POSTGRESQL;
    }

    @Override
    void refuseEventsOfTheRefusedType(Statement statement) throws SQLException {
        statement.execute("ALTER TABLE agent_events ADD CONSTRAINT test_refuse CHECK (type <> '" + REFUSED_TYPE
                + "')");
    }

    @Test
    void aFailureThatIsNotThePayloadsIsNeverQuarantined() throws Exception {
        // The database reports a lost connection (SQLSTATE 08006) whenever the payload is applied.
        run("CREATE FUNCTION test_outage() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN"
                + " RAISE EXCEPTION 'connection lost (test)' USING ERRCODE = '08006'; END $$");
        run("CREATE TRIGGER test_outage BEFORE INSERT ON agent_events FOR EACH ROW WHEN (NEW.type = '"
                + REFUSED_TYPE + "') EXECUTE FUNCTION test_outage()");
        Api.Enrolled enrolled = server.api().enrol("outage");
        for (int attempt = 1; attempt <= PayloadQuarantine.MAX_ATTEMPTS + 1; attempt++) {
            TestAgent agent = sendOneGoodOneRefusedOneGood(enrolled);
            assertThat(agent.awaitCloseCode()).as("attempt %d", attempt).isEqualTo(CloseCodes.INTERNAL_ERROR);
            agent.close();
        }
        assertThat(quarantined(enrolled.id())).isEmpty();
        assertThat(eventSeqs("outage")).doesNotContain(2L, 3L);

        run("DROP TRIGGER test_outage ON agent_events");
        TestAgent recovered = sendOneGoodOneRefusedOneGood(enrolled);
        await().atMost(Duration.ofSeconds(10)).until(() -> recovered.highestAck() == 3);
        assertThat(eventSeqs("outage")).containsExactly(1L, 2L, 3L);
        recovered.close();
    }

    private void run(String sql) throws SQLException {
        try (Connection connection = DriverManager.getConnection(config.jdbcUrl());
                Statement statement = connection.createStatement()) {
            statement.execute(sql);
        }
    }
}
