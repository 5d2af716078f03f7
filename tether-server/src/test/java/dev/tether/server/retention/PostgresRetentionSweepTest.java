package dev.tether.server.retention;

import dev.tether.server.testing.TestDatabase;

class PostgresRetentionSweepTest extends RetentionSweepTest {

    @Override
    TestDatabase database() {
        return TestDatabase.POSTGRESQL;
    }
}
