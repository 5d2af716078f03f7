package dev.tether.server.gateway;

import dev.tether.server.testing.TestDatabase;
import java.sql.SQLException;
import java.sql.Statement;

class SqlitePoisonPayloadTest extends PoisonPayloadTest {

    @Override
    TestDatabase database() {
        return TestDatabase.SQLITE;
    }

    @Override
    void refuseEventsOfTheRefusedType(Statement statement) throws SQLException {
        statement.execute("CREATE TRIGGER test_refuse BEFORE INSERT ON agent_events WHEN NEW.type = '"
                + REFUSED_TYPE + "' BEGIN SELECT RAISE(ABORT, 'refused by the test'); END");
    }
}
